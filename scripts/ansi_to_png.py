#!/usr/bin/env python3
"""Render terminal text with ANSI SGR escapes to a PNG, like a terminal would.

Input as from `tmux capture-pane -p -e -N` (-N keeps trailing cells, so
full-width backgrounds survive). Handles 16/256/24-bit colours, bold,
underline, reverse and two-cell wide characters; other escapes are ignored.

Usage: python3 scripts/ansi_to_png.py in.ansi out.png
"""
import math
import os
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
WIDE_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # if installed
SIZE, PAD = 14, 12
BG, FG = (15, 20, 25), (204, 208, 212)
XTERM16 = [tuple(bytes.fromhex(h)) for h in "000000 cd0000 00cd00 cdcd00 0000ee cd00cd 00cdcd"
           " e5e5e5 7f7f7f ff0000 00ff00 ffff00 5c5cff ff00ff 00ffff ffffff".split()]
CUBE = [0, 95, 135, 175, 215, 255]
ATTRS = {1: "bold", 22: "bold", 4: "ul", 24: "ul", 7: "rev", 27: "rev"}  # on < 20 <= off
# Box-drawing lines are drawn on the pixel grid so they join up: the arms of each.
BOX = dict(zip("─│┌┐└┘├┤┬┴┼╭╮╰╯", "lr ud rd ld ru lu udr udl lrd lru udlr rd ld ru lu".split()))
# CSI ... final | OSC ... BEL/ST | other escape | text (other controls are skipped)
TOKEN = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                   r"|\x1b[ -/]*[0-~]?|([^\x00-\x08\x0a-\x1f\x7f]+)", re.S)


def palette(n):
    if n < 16:
        return XTERM16[n]
    if n < 232:
        return (CUBE[(n - 16) // 36], CUBE[(n - 16) // 6 % 6], CUBE[(n - 16) % 6])
    return (8 + 10 * (n - 232),) * 3


def apply_sgr(params, st):
    codes, i = [int(p) if p.isdigit() else 0 for p in params.split(";")], 0
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
        elif c in (38, 48) and i + 2 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5:
                st[key], i = palette(codes[i + 2] % 256), i + 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                st[key], i = tuple(min(v, 255) for v in codes[i + 2:i + 5]), i + 4
        i += 1


def parse(text):
    """Rows of cells (text, fg, bg, bold, underline, width); the right half
    of a wide character is None. SGR state carries across lines, as in tmux."""
    st = dict(fg=None, bg=None, bold=False, ul=False, rev=False)
    rows = []
    for line in text.rstrip("\n").split("\n"):
        row = []
        for m in TOKEN.finditer(line):
            if m.group(2) == "m":
                apply_sgr(m.group(1), st)
            for ch in m.group(3) or "":
                if (unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")) \
                        and row and row[-1]:  # accents, ZWJ, variation selectors
                    row[-1] = (row[-1][0] + ch,) + row[-1][1:]
                    continue
                fg, bg = st["fg"] or FG, st["bg"] or BG
                if st["rev"]:
                    fg, bg = bg, fg
                width = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
                for _ in range(8 - len(row) % 8 if ch == "\t" else 1):
                    row += [(" " if ch == "\t" else ch, fg, bg, st["bold"], st["ul"], width)]
                    row += [None] * (width - 1)
        rows.append(row)
    return rows


# Braille dot bits: (bit, column, row) of the 2x4 grid in a cell.
BRAILLE = [(0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 1, 0), (4, 1, 1), (5, 1, 2), (6, 0, 3), (7, 1, 3)]


def draw_braille(draw, c, x0, y0, x1, y1, fill):
    """Braille patterns (U+2800-28FF, the chart's dots) as dots: the mono
    font has no glyphs for them."""
    bits, w, h = ord(c) - 0x2800, x1 - x0, y1 - y0
    r = max(1, round(w / 7))
    for bit, col, row in BRAILLE:
        if bits >> bit & 1:
            cx, cy = x0 + w * (1 + 2 * col) / 4, y0 + h * (1 + 2 * row) / 8
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return True


def draw_art(draw, c, x0, y0, x1, y1, fill):
    """Draw block elements (U+2580-2590), light box lines and braille
    cell-exact, so neighbours join without seams; return False for any
    other character."""
    if len(c) == 1 and 0x2800 <= ord(c) <= 0x28FF:
        return draw_braille(draw, c, x0, y0, x1, y1, fill)
    n, w, h = ord(c) - 0x2580 if len(c) == 1 else -1, x1 - x0, y1 - y0
    if c in BOX:
        cx, cy = x0 + (w - 1) // 2, y0 + (h - 1) // 2
        ends = {"l": (x0, cy), "r": (x1 - 1, cy), "u": (cx, y0), "d": (cx, y1 - 1)}
        for arm in BOX[c]:
            draw.line([(cx, cy), ends[arm]], fill=fill)
        return True
    box = {0: (x0, y0, x1, y0 + h // 2), 16: (x0 + w // 2, y0, x1, y1)}.get(n)  # halves
    if 1 <= n <= 8:  # lower eighths .. full block
        box = (x0, y1 - round(h * n / 8), x1, y1)
    elif 9 <= n <= 15:  # left seven eighths .. one eighth
        box = (x0, y0, x0 + round(w * (16 - n) / 8), y1)
    if box:
        draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=fill)
    return bool(box)


def render(rows, out):
    font = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", SIZE)
    wide = ImageFont.truetype(WIDE_FONT, SIZE) if os.path.exists(WIDE_FONT) else font
    ascent, descent = font.getmetrics()
    cw, ch = font.getlength("M"), ascent + descent  # cell width is fractional
    cols = max((len(r) for r in rows), default=0)
    img = Image.new("RGB", (2 * PAD + math.ceil(cols * cw), 2 * PAD + len(rows) * ch), BG)
    draw = ImageDraw.Draw(img)
    cells = [(x, y, c) for y, r in enumerate(rows) for x, c in enumerate(r) if c]
    left = lambda x: PAD + round(x * cw)
    for x, y, (_, _, bg, _, _, w) in cells:  # backgrounds first: glyphs may overhang
        if bg != BG:
            draw.rectangle([left(x), PAD + y * ch, left(x + w) - 1, PAD + (y + 1) * ch - 1], fill=bg)
    for x, y, (text, fg, _, b, ul, w) in cells:
        top = PAD + y * ch
        if text != " " and not draw_art(draw, text, left(x), top, left(x + w), top + ch, fg):
            face = wide if w == 2 else bold if b else font
            draw.text((PAD + x * cw, top + ascent), text, font=face, fill=fg, anchor="ls")
        if ul:
            draw.line([left(x), top + ascent + 2, left(x + w) - 1, top + ascent + 2], fill=fg)
    img.save(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1], encoding="utf-8", errors="replace", newline="") as f:
        render(parse(f.read()), sys.argv[2])
