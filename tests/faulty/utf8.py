"""Incremental UTF-8 validator (RFC 3629 section 4 table), fail-fast: feed()
returns False as soon as the bytes seen so far cannot begin valid UTF-8.

The UTF-8 faults of faulty_server.py are switches here, so the same validator
serves text messages and close reasons.
"""

from __future__ import annotations


class Utf8:
    __slots__ = ("need", "lo", "hi", "cp", "surrogates", "overlong", "above_max",
                 "bit_pattern", "truncated_ok", "ascii_only", "nonchars", "nul")

    def __init__(self, faults=()):
        self.need = 0           # continuation bytes still expected
        self.lo, self.hi = 0x80, 0xBF  # allowed range of the next continuation byte
        self.cp = 0
        self.surrogates = "accept-surrogates" in faults
        self.overlong = "accept-overlong" in faults
        self.above_max = "accept-above-max" in faults
        self.bit_pattern = "utf8-bit-pattern-only" in faults
        self.truncated_ok = "accept-truncated" in faults
        self.ascii_only = "utf8-ascii-only" in faults
        self.nonchars = "reject-noncharacters" in faults
        self.nul = "reject-nul" in faults

    def feed(self, data: bytes) -> bool:
        if not data:
            return True
        if self.need == 0 and data.isascii() and not self.nul:
            return True
        need, lo, hi, cp = self.need, self.lo, self.hi, self.cp
        for b in data:
            if need == 0:
                if b < 0x80:
                    if b == 0 and self.nul:
                        return False
                    continue
                if self.ascii_only:
                    return False
                if self.bit_pattern:
                    # only the shape: 110xxxxx, 1110xxxx, 11110xxx, 111110xx, 1111110x
                    if 0xC0 <= b <= 0xDF:
                        need, cp = 1, b & 0x1F
                    elif 0xE0 <= b <= 0xEF:
                        need, cp = 2, b & 0x0F
                    elif 0xF0 <= b <= 0xF7:
                        need, cp = 3, b & 0x07
                    elif 0xF8 <= b <= 0xFB:
                        need, cp = 4, b & 0x03
                    elif 0xFC <= b <= 0xFD:
                        need, cp = 5, b & 0x01
                    else:
                        return False
                    lo, hi = 0x80, 0xBF
                    continue
                lo, hi = 0x80, 0xBF
                if 0xC2 <= b <= 0xDF:
                    need, cp = 1, b & 0x1F
                elif b == 0xE0:
                    need, cp = 2, 0
                    if not self.overlong:
                        lo = 0xA0
                elif 0xE1 <= b <= 0xEC or b in (0xEE, 0xEF):
                    need, cp = 2, b & 0x0F
                elif b == 0xED:
                    need, cp = 2, 0x0D
                    if not self.surrogates:
                        hi = 0x9F
                elif b == 0xF0:
                    need, cp = 3, 0
                    if not self.overlong:
                        lo = 0x90
                elif 0xF1 <= b <= 0xF3:
                    need, cp = 3, b & 0x07
                elif b == 0xF4:
                    need, cp = 3, 4
                    if not self.above_max:
                        hi = 0x8F
                elif b in (0xC0, 0xC1) and self.overlong:
                    need, cp = 1, b & 0x1F
                elif 0xF5 <= b <= 0xF7 and self.above_max:
                    need, cp = 3, b & 0x07
                else:
                    return False
            else:
                if not lo <= b <= hi:
                    return False
                cp = (cp << 6) | (b & 0x3F)
                need -= 1
                lo, hi = 0x80, 0xBF
                if need == 0 and self.nonchars and (
                        (cp & 0xFFFE) == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF):
                    return False
        self.need, self.lo, self.hi, self.cp = need, lo, hi, cp
        return True

    def complete(self) -> bool:
        """True if the bytes fed so far end on a code point boundary."""
        return self.need == 0 or self.truncated_ok
