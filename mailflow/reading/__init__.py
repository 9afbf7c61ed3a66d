"""The reader: new text of a reply → a Decision or a question, by the closed rule."""
