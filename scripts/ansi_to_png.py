#!/usr/bin/env python3
"""Render terminal text with ANSI SGR escapes to a PNG, like a terminal would.

The input is what `tmux capture-pane -p -e` prints (add -N to keep trailing
cells, so full-width backgrounds survive). Colours: 16 xterm colours, the
256-colour palette and 24-bit RGB; attributes: bold, underline, reverse.
Wide (CJK) characters take two cells. Other escape sequences are ignored.

Usage: python3 scripts/ansi_to_png.py in.ansi out.png
"""
import math
import os
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
# Used only for wide characters, if installed (DejaVu has no CJK glyphs).
WIDE_FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]
SIZE, PAD = 14, 12
BG, FG = (15, 20, 25), (204, 208, 212)
XTERM16 = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
           (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
           (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
           (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
CUBE = [0, 95, 135, 175, 215, 255]
ATTRS = {1: "bold", 22: "bold", 4: "ul", 24: "ul", 7: "rev", 27: "rev"}  # on < 20 <= off
# CSI ... final | OSC ... BEL/ST | any other two-byte escape | plain text
TOKEN = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                   r"|\x1b.?|([^\x1b]+)", re.S)


def palette(n):
    if n < 16:
        return XTERM16[n]
    if n < 232:
        n -= 16
        return (CUBE[n // 36], CUBE[n // 6 % 6], CUBE[n % 6])
    grey = 8 + 10 * (n - 232)
    return (grey, grey, grey)


def apply_sgr(params, st):
    codes = [int(p) if p.isdigit() else 0 for p in params.split(";")]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            st.update(fg=None, bg=None, bold=False, ul=False, rev=False)
        elif c in ATTRS:
            st[ATTRS[c]] = c < 20
        elif 30 <= c <= 37 or 90 <= c <= 97:
            st["fg"] = XTERM16[c - 30 if c < 90 else c - 82]
        elif 40 <= c <= 47 or 100 <= c <= 107:
            st["bg"] = XTERM16[c - 40 if c < 100 else c - 92]
        elif c in (39, 49):
            st["fg" if c == 39 else "bg"] = None
        elif c in (38, 48):
            key = "fg" if c == 38 else "bg"
            mode = codes[i + 1] if i + 1 < len(codes) else None
            if mode == 5 and i + 2 < len(codes):
                st[key] = palette(codes[i + 2] % 256)
                i += 2
            elif mode == 2 and i + 4 < len(codes):
                st[key] = tuple(min(v, 255) for v in codes[i + 2:i + 5])
                i += 4
        i += 1


def block(c, x0, y0, x1, y1):
    """Cell-exact box for the block elements U+2580-2595 (font glyphs at
    fractional offsets leave seams between neighbours), else None."""
    n, w, h = ord(c[0]) - 0x2580 if len(c) == 1 else -1, x1 - x0, y1 - y0
    if n == 0:
        return (x0, y0, x1, y0 + h // 2)  # upper half
    if 1 <= n <= 8:
        return (x0, y1 - round(h * n / 8), x1, y1)  # lower n eighths, full block
    if 9 <= n <= 15:
        return (x0, y0, x0 + round(w * (16 - n) / 8), y1)  # left eighths
    return {16: (x0 + w // 2, y0, x1, y1), 20: (x0, y0, x1, y0 + round(h / 8)),
            21: (x1 - round(w / 8), y0, x1, y1)}.get(n)


def parse(text):
    """Return rows of cells (char, fg, bg, bold, underline, width); the
    right half of a wide character is None. SGR state carries across lines."""
    st = dict(fg=None, bg=None, bold=False, ul=False, rev=False)
    rows = []
    for line in text.rstrip("\n").split("\n"):
        row = []
        for m in TOKEN.finditer(line):
            if m.group(2) == "m":
                apply_sgr(m.group(1), st)
            for ch in m.group(3) or "":
                if ch == "\t":
                    row.extend([(" ", None, None, False, False, 1)] * (8 - len(row) % 8))
                    continue
                if ch in "\r\x07":
                    continue
                if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
                    if row and row[-1] is not None:  # attach to the previous cell
                        row[-1] = (row[-1][0] + ch,) + row[-1][1:]
                    continue
                fg, bg = st["fg"] or FG, st["bg"] or BG
                if st["rev"]:
                    fg, bg = bg, fg
                width = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
                row.append((ch, fg, bg, st["bold"], st["ul"], width))
                row.extend([None] * (width - 1))
        rows.append(row)
    return rows


def render(rows, out):
    font = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", SIZE)
    wide = next((ImageFont.truetype(p, SIZE) for p in WIDE_FONTS if os.path.exists(p)), font)
    ascent, descent = font.getmetrics()
    cw, ch = font.getlength("M"), ascent + descent  # cell width may be fractional
    cols = max((len(r) for r in rows), default=0)
    img = Image.new("RGB", (2 * PAD + math.ceil(cols * cw), 2 * PAD + len(rows) * ch), BG)
    draw = ImageDraw.Draw(img)
    cells = [(x, y, c) for y, r in enumerate(rows) for x, c in enumerate(r) if c]
    left = lambda x: PAD + round(x * cw)
    for x, y, (_, _, bg, _, _, w) in cells:  # backgrounds first: glyphs may overhang
        if bg != BG:
            draw.rectangle([left(x), PAD + y * ch, left(x + w) - 1, PAD + (y + 1) * ch - 1], fill=bg)
    for x, y, (text, fg, _, b, ul, w) in cells:
        baseline = PAD + y * ch + ascent
        box = block(text, left(x), PAD + y * ch, left(x + w), PAD + (y + 1) * ch)
        if box:
            draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=fg)
        elif text != " ":
            face = wide if w == 2 else bold if b else font
            draw.text((PAD + x * cw, baseline), text, font=face, fill=fg, anchor="ls")
        if ul:
            draw.line([left(x), baseline + 2, left(x + w) - 1, baseline + 2], fill=fg)
    img.save(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        render(parse(f.read()), sys.argv[2])
