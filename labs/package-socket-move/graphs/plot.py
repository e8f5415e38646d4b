#!/usr/bin/env python3
"""Draw a small dashboard-style line graph as a PNG, with only the standard
library (zlib + struct): no matplotlib or gnuplot in the lab's toolchain.

    plot.py OUT.png "TITLE" "Y LABEL" XLABELS SERIES...

XLABELS is a comma-separated list of tick labels (e.g. 18:50,19:00,19:10)
spread evenly along the x axis; each SERIES is NAME=COLOR:v1,v2,... with
COLOR a hex RGB value. Text uses a built-in 5x7 font (upper case, digits,
a few signs).
"""
import struct
import sys
import zlib

FONT = {
    'A': "01110 10001 10001 11111 10001 10001 10001", 'B': "11110 10001 10001 11110 10001 10001 11110",
    'C': "01110 10001 10000 10000 10000 10001 01110", 'D': "11110 10001 10001 10001 10001 10001 11110",
    'E': "11111 10000 10000 11110 10000 10000 11111", 'F': "11111 10000 10000 11110 10000 10000 10000",
    'G': "01110 10001 10000 10111 10001 10001 01111", 'H': "10001 10001 10001 11111 10001 10001 10001",
    'I': "01110 00100 00100 00100 00100 00100 01110", 'J': "00111 00010 00010 00010 00010 10010 01100",
    'K': "10001 10010 10100 11000 10100 10010 10001", 'L': "10000 10000 10000 10000 10000 10000 11111",
    'M': "10001 11011 10101 10101 10001 10001 10001", 'N': "10001 10001 11001 10101 10011 10001 10001",
    'O': "01110 10001 10001 10001 10001 10001 01110", 'P': "11110 10001 10001 11110 10000 10000 10000",
    'Q': "01110 10001 10001 10001 10101 10010 01101", 'R': "11110 10001 10001 11110 10100 10010 10001",
    'S': "01111 10000 10000 01110 00001 00001 11110", 'T': "11111 00100 00100 00100 00100 00100 00100",
    'U': "10001 10001 10001 10001 10001 10001 01110", 'V': "10001 10001 10001 10001 10001 01010 00100",
    'W': "10001 10001 10001 10101 10101 10101 01010", 'X': "10001 10001 01010 00100 01010 10001 10001",
    'Y': "10001 10001 01010 00100 00100 00100 00100", 'Z': "11111 00001 00010 00100 01000 10000 11111",
    '0': "01110 10001 10011 10101 11001 10001 01110", '1': "00100 01100 00100 00100 00100 00100 01110",
    '2': "01110 10001 00001 00010 00100 01000 11111", '3': "11111 00010 00100 00010 00001 10001 01110",
    '4': "00010 00110 01010 10010 11111 00010 00010", '5': "11111 10000 11110 00001 00001 10001 01110",
    '6': "00110 01000 10000 11110 10001 10001 01110", '7': "11111 00001 00010 00100 01000 01000 01000",
    '8': "01110 10001 10001 01110 10001 10001 01110", '9': "01110 10001 10001 01111 00001 00010 01100",
    ':': "00000 01100 01100 00000 01100 01100 00000", '.': "00000 00000 00000 00000 00000 01100 01100",
    '-': "00000 00000 00000 11111 00000 00000 00000", '/': "00001 00010 00010 00100 01000 01000 10000",
    '%': "11001 11010 00010 00100 01000 01011 10011", '(': "00010 00100 01000 01000 01000 00100 00010",
    ')': "01000 00100 00010 00010 00010 00100 01000", ' ': "00000 00000 00000 00000 00000 00000 00000",
    '_': "00000 00000 00000 00000 00000 00000 11111", '=': "00000 00000 11111 00000 11111 00000 00000",
    '>': "01000 00100 00010 00001 00010 00100 01000", '<': "00010 00100 01000 10000 01000 00100 00010",
}

W, H = 640, 300
L, R, T, B = 60, 20, 36, 40  # plot margins


class Canvas:
    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(bg) * (w * h))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = (y * self.w + x) * 3
            self.px[i:i + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, thick=1):
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            for t in range(thick):
                self.set(x0, y0 + t, c)
            if x0 == x1 and y0 == y1:
                break
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, c=(40, 40, 40)):
        for ch in s.upper():
            rows = FONT.get(ch, FONT[' ']).split()
            for j, row in enumerate(rows):
                for i, bit in enumerate(row):
                    if bit == '1':
                        self.set(x + i, y + j, c)
            x += 6

    def png(self):
        raw = b''.join(b'\x00' + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
        return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', self.w, self.h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main(argv):
    out, title, ylabel, xlabels = argv[1], argv[2], argv[3], argv[4].split(',')
    series = []
    for spec in argv[5:]:
        name, rest = spec.split('=', 1)
        color, values = rest.split(':', 1)
        series.append((name, tuple(int(color[i:i + 2], 16) for i in (0, 2, 4)), [float(v) for v in values.split(',')]))
    top = max(max(v) for _, _, v in series) * 1.1 or 1
    c = Canvas(W, H)
    c.text(L, 10, title)
    c.text(4, T - 12, ylabel, (90, 90, 90))
    pw, ph = W - L - R, H - T - B
    for k in range(5):  # grid and y ticks
        y = T + ph - ph * k // 4
        c.line(L, y, W - R, y, (225, 225, 225))
        v = top * k / 4
        c.text(4, y - 3, ('%d' % v) if top >= 10 else ('%.1f' % v), (90, 90, 90))
    c.line(L, T, L, T + ph, (80, 80, 80))
    c.line(L, T + ph, W - R, T + ph, (80, 80, 80))
    for k, lab in enumerate(xlabels):
        x = L + pw * k // max(1, len(xlabels) - 1)
        c.line(x, T + ph, x, T + ph + 4, (80, 80, 80))
        c.text(x - 3 * len(lab), T + ph + 10, lab, (90, 90, 90))
    lx = L + 10
    for name, col, vals in series:
        pts = [(L + pw * i // max(1, len(vals) - 1), T + ph - int(ph * v / top)) for i, v in enumerate(vals)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            c.line(x0, y0, x1, y1, col, thick=2)
        c.line(lx, H - 10, lx + 12, H - 10, col, thick=2)
        c.text(lx + 16, H - 13, name)
        lx += 16 + 6 * len(name) + 20
    with open(out, 'wb') as f:
        f.write(c.png())


if __name__ == '__main__':
    main(sys.argv)
