"""A message as bytes and as text a person sees: parsing, new text, HTML, footers, composing.

Pure: nothing here opens the store, the network or the app.
"""
