"""What closes a reply without being written for it: client footers and legal notices.

`reply_text.new_text` cuts quoted history at its first marker, early on
purpose; what is left may still end with a footer ("Sent from my iPhone") or
a confidentiality notice. Those are cut here, from the end only, because a
footer or a notice can stand above words the sender typed below it, and
cutting there would silently drop them.
"""

from __future__ import annotations

from mailflow.mail import footers, notices

# Characters that show nothing: zero-width spaces and joiners, the byte-order
# mark, and the "ᐧ" some Gmail tracking add-ons append to every mail.
INVISIBLE = " \t\u00a0\u200b\u200c\u200d\u2060\ufeff\u1427"
# No footer or notice line is longer than this; a longer last line ends the search
# at once, so a hostile single-line body costs nothing here.
LONGEST = 2_000
# A footer at the end of a line is looked for in this many closing characters only.
TAIL = 300


def without_trailers(lines: list[str]) -> list[str]:
    """The lines without the footers and notices that close them.

    Cut from the end only, while nothing but footers, notices and blank lines
    follow: a client footer line ("Sent from my iPhone", with the link some
    clients put on the line below it), a closing paragraph that reads as a
    legal notice (`notices`), and last a footer that ends the last line
    ("Approved Sent from my iPhone"). Each is a closed list or a strict shape,
    never a guess: a footer or notice with anything of the sender's own in it
    stays, and so does one with text typed below it, which the closed rule then
    asks about. Unlike a quote marker, these are never cut early: cutting
    there could silently drop a condition written below them.
    """
    kept = list(lines)
    while True:
        while kept and not kept[-1].strip(INVISIBLE):
            kept.pop()  # blank lines and the invisible marks mail trackers leave
        if not kept:
            return kept
        if len(kept[-1]) > LONGEST:
            return kept
        if footers.is_footer(kept[-1]) or (
            footers.is_link(kept[-1]) and len(kept) > 1 and footers.is_footer(kept[-2])
        ):
            kept.pop()
            continue
        start = len(kept)
        while start > 0 and kept[start - 1].strip(INVISIBLE) and len(kept[start - 1]) <= LONGEST:
            start -= 1
        notice = notices.notice_start(kept[start:])
        if notice is None:
            break
        del kept[start + notice :]
    head, tail = kept[-1][:-TAIL], kept[-1][-TAIL:]
    if head:  # start the tail at a space, so no word is cut in two
        space = tail.find(" ")
        head, tail = (head + tail[:space], tail[space:]) if space >= 0 else (kept[-1], "")
    kept[-1] = head + footers.without_footer_at_end(tail)
    while kept and not kept[-1].strip(INVISIBLE):
        kept.pop()
    return kept
