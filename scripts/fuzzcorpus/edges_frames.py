"""Hand-made edges of the binary targets: frame streams (lengths
125/126/127/65535/65536/2^63, reserved opcodes and RSV bits, masking on the
wrong side, cut headers, fragmentation) for frame_decoder, message,
frame_wslay_diff and server_conn; UTF-8 samples for utf8; encoder specs for
frame_roundtrip.
"""

from .layouts import (CHUNK_BYTES, chunk_fixed, chunk_list,
                      frame_decoder_input, frame_roundtrip_input,
                      message_input, server_conn_input, utf8_input,
                      wslay_input)
from .wire import VALID_REQUEST, cframe, encode_frame, sframe


def add_frame_edges(corpus):
    payloads = {
        0: b"",
        1: b"a",
        125: b"x" * 125,
        126: b"y" * 126,
        127: b"z" * 127,
        65535: b"p" * 65535,
        65536: b"q" * 65536,
    }
    edges = []  # (stream, server)
    for n, p in payloads.items():
        edges.append((cframe(2, p), False))
        edges.append((sframe(2, p), True))
    for op in (1, 2, 8, 9, 10):
        edges.append((cframe(op, b""), False))
    # Non-minimal lengths, 64-bit with the top bit, lies about the length.
    edges += [
        (cframe(1, b"hello", form=16), False),
        (cframe(1, b"hello", form=64), False),
        (cframe(2, b"y" * 200, form=64), False),
        (sframe(1, b"hello", form=16), True),
        (cframe(2, b"abc", declared=1 << 63, form=64), False),
        (cframe(2, b"abc", declared=(1 << 64) - 1, form=64), False),
        (sframe(2, b"abc", declared=(1 << 63) + 5, form=64), True),
        (cframe(2, b"abc", declared=1 << 40, form=64), False),
        (cframe(2, b"abc", declared=100), False),
        (cframe(2, b"abc", declared=65535, form=16), False),
    ]
    # Reserved opcodes and RSV bits, masking on the wrong side.
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        edges.append((cframe(op, b"r"), False))
        edges.append((sframe(op, b"r"), True))
    for rsv in range(1, 8):
        edges.append((cframe(1, b"rsv", rsv=rsv), False))
    edges += [
        (sframe(1, b"masked by the server", mask=b"\1\2\3\4"), True),
        (encode_frame(1, b"unmasked from a client"), False),
        # Control frames: fragmented, too long (7-bit 126, 16-bit forms).
        (cframe(9, b"p", fin=0), False),
        (cframe(9, b"x" * 126), False),
        (cframe(9, b"x" * 125, form=16), False),
        (cframe(8, b"\x03"), False),
        (cframe(8, b"\x03\xe8" + b"\xff"), False),
        (cframe(8, b"\x03\xe7"), False),
        (cframe(8, b"\x13\x88"), False),
        (cframe(8, b"\x0b\xb8ok"), False),
        (cframe(8, b"\x03\xec"), False),
        (cframe(8, b"\x03\xed"), False),
        (cframe(8, b"\x03\xf4"), False),
        (cframe(8, b"\x03\xf7"), False),
        (cframe(8, b"\x03\xe8" + b"r" * 123), False),
        (cframe(8, b"\x03\xe8" + b"r" * 124), False),
        # Headers cut short at every point.
        (b"\x81", False),
        (b"\x81\xfe", False),
        (b"\x81\xfe\x00", False),
        (b"\x82\xff\x00\x00\x00\x00\x00\x01", False),
        (b"\x82\xff" + b"\x00" * 8 + b"\x01\x02", False),
        (b"\x82\x7e\x00", True),
        # Fragmentation: interleaved control frames, stray continuations.
        (cframe(1, b"fra", fin=0) + cframe(9, b"ping") + cframe(0, b"gment"),
         False),
        (cframe(0, b"stray"), False),
        (cframe(1, b"a", fin=0) + cframe(1, b"b"), False),
        (cframe(2, b"a", fin=0) + cframe(0, b"b", fin=0) + cframe(10, b"")
         + cframe(0, b"c"), False),
        (cframe(1, b"\xce\xba\xe1", fin=0) + cframe(0, b"\xbd\xb9"), False),
        (cframe(1, b"\xce\xba\xe1", fin=0) + cframe(0, b"\x28"), False),
        (cframe(1, b"ok\xed\xa0\x80"), False),
        (cframe(1, b"\xf4\x90\x80\x80"), False),
        (cframe(8, b"\x03\xe8") + cframe(1, b"after close"), False),
        (cframe(8, b"") + cframe(8, b""), False),
        (cframe(1, b"x" * 300, fin=0) + cframe(0, b"y" * 70000), False),
        (sframe(8, b"\x03\xea") + sframe(1, b"late"), True),
        (sframe(1, b"echo") + sframe(9, b"") + sframe(8, b"\x03\xe8"), True),
    ]
    many = b"".join(cframe(0 if i else 1, b"f", fin=0) for i in range(200)) \
        + cframe(0, b"end")
    edges.append((many, False))
    for i, (stream, server) in enumerate(edges):
        # Every edge in both policies: STRICT stops at the first violation,
        # OBSERVE reports them all and goes on.
        corpus.add("frame_decoder", frame_decoder_input(stream, server))
        corpus.add("frame_decoder",
                   frame_decoder_input(stream, server, observe=False))
        corpus.add("message", message_input(stream, server))
        if not server:
            corpus.add("frame_wslay_diff", wslay_input(stream))
            corpus.add("server_conn", server_conn_input(VALID_REQUEST + stream))
    # Chunk schemes, negotiated RSV bits and frame limits.
    chunks = [CHUNK_BYTES, chunk_fixed(3), chunk_fixed(200),
              chunk_list([1, 5, 0]), chunk_list([2, 9])]
    for i, (stream, server) in enumerate(edges[::5]):
        chunk = chunks[i % len(chunks)]
        corpus.add("frame_decoder", frame_decoder_input(
            stream, server, observe=bool(i & 1), chunk=chunk))
        corpus.add("message", message_input(stream, server, chunk=chunk))
    rsv_stream = cframe(1, b"deflated", rsv=4) + cframe(2, b"x", rsv=7)
    for rsv in (4, 7):
        for observe in (False, True):
            corpus.add("frame_decoder", frame_decoder_input(
                rsv_stream, observe=observe, rsv=rsv))
    big = cframe(2, b"y" * 300) + cframe(9, b"p" * 100)
    for limit in range(1, 9):
        corpus.add("frame_decoder", frame_decoder_input(
            big, observe=bool(limit & 1), limit=limit))
    # message: compressed messages under a negotiated RSV1, a close already
    # sent, and limits small enough to hit (message size, fragment count).
    corpus.add("message", message_input(rsv_stream, rsv=4))
    corpus.add("message", message_input(
        cframe(1, b"\xff\xfe", rsv=4, fin=0) + cframe(0, b"z"), rsv=4))
    corpus.add("message", message_input(
        cframe(1, b"a", rsv=4, fin=0) + cframe(0, b"b", rsv=4), rsv=4))
    for close_sent in (False, True):
        corpus.add("message", message_input(
            cframe(1, b"hi") + cframe(8, b"\x03\xe8bye") + cframe(1, b"x"),
            close_sent=close_sent))
        corpus.add("message", message_input(
            sframe(8, b"\x03\xe8") + sframe(9, b""), server=True,
            close_sent=close_sent))
    frag = b"".join(cframe(0 if i else 1, b"ab", fin=0) for i in range(8)) \
        + cframe(0, b"end")
    long_text = cframe(1, ("é" * 40).encode(), fin=0) + cframe(
        0, ("€" * 40).encode())
    for mm, mf in ((0, 31), (1, 31), (4, 31), (255, 0), (255, 3), (10, 7)):
        corpus.add("message", message_input(frag, max_message=mm,
                                            max_fragments=mf))
        corpus.add("message", message_input(long_text, max_message=mm,
                                            max_fragments=mf))
        corpus.add("message", message_input(
            sframe(1, b"x" * 100) + sframe(2, b"y" * 3000), server=True,
            max_message=mm, max_fragments=mf))
    # wslay: chunked feeds.
    for i, (stream, server) in enumerate(edges[1::6]):
        if not server:
            corpus.add("frame_wslay_diff",
                       wslay_input(stream, chunks[i % len(chunks)]))
    # server_conn: the reactor's moves (small reads, partial writes,
    # deadlines, peer close, our close) on a conversation.
    talk = cframe(1, b"hello") + cframe(9, b"ping") + cframe(
        1, b"frag", fin=0) + cframe(10, b"") + cframe(0, b"ment") + cframe(
            2, b"\0\1\2" * 50) + cframe(8, b"\x03\xe8done")
    opsets = [b"", b"\x00", b"\x04\x02", b"\x01\x06\x0b",
              b"\x00\x03", b"\x01\x1f\x03",  # deadline
              b"\x01\x0b\x02",  # our close 1000
              b"\x01\x2b",  # our close 1001/1011
              b"\x01\x01\x17",  # peer close (at the end of the list)
              b"\x02\x02\x02\x01"]
    for ops in opsets:
        corpus.add("server_conn", server_conn_input(VALID_REQUEST + talk, ops))
        corpus.add("server_conn", server_conn_input(talk, ops, canned=True))
    corpus.add("server_conn", server_conn_input(VALID_REQUEST, b"\x03"))
    corpus.add("server_conn", server_conn_input(VALID_REQUEST[:30], b"\x03"))
    for mm, mf, backlog in ((0, 0, 1), (1, 1, 0), (16, 3, 2), (255, 15, 255)):
        corpus.add("server_conn", server_conn_input(
            talk + frag + long_text, canned=True, max_message=mm,
            max_fragments=mf, backlog=backlog))
    pings = b"".join(cframe(9, b"p" * 125) for _ in range(40))
    corpus.add("server_conn", server_conn_input(pings, b"\x01", canned=True,
                                                backlog=1))
    corpus.add("frame_decoder", frame_decoder_input(big, limit=200))
    corpus.add("frame_decoder", b"")
    corpus.add("message", b"")
    corpus.add("frame_wslay_diff", b"")


def add_utf8_edges(corpus):
    samples = [
        b"", b"a", b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
        b"\x00", b"\x7f", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc2\x80",
        b"\xdf\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xe0\xa0\x80",
        b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xee\x80\x80",
        b"\xef\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf",
        b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff",
        b"\xe1\x80", b"\xf1\x80\x80", b"\xc2", b"\xc2\x41",
        bytes(range(0x80)),
    ]
    # Long runs for the word-at-a-time and vector paths: ASCII, 2/3/4-byte
    # text, and an error at several positions inside a long run.
    mixed = ("aé€😀" * 40).encode()
    samples += [b"a" * 100, b"a" * 4096, "é".encode() * 100,
                "€".encode() * 100, "😀".encode() * 100, mixed,
                mixed[:-1], mixed[:-2], mixed[:-3]]
    for pos in (0, 15, 16, 31, 32, 33, 63, 64, 100, 255):
        s = bytearray(mixed)
        s[pos] = 0xff
        samples.append(bytes(s))
        s = bytearray(b"a" * 256)
        s[pos] = 0x80
        samples.append(bytes(s))
    for s in samples:
        corpus.add("utf8", utf8_input(s))
    for chunk in (CHUNK_BYTES, chunk_fixed(2), chunk_fixed(3), chunk_fixed(17),
                  chunk_list([1, 2, 3, 0]), chunk_list([33, 1])):
        corpus.add("utf8", utf8_input(mixed, chunk))
        corpus.add("utf8", utf8_input(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xed\xa0\x80",
                                      chunk))


def add_roundtrip_seeds(corpus):
    add = lambda **kw: corpus.add("frame_roundtrip", frame_roundtrip_input(**kw))
    add()
    # Every opcode, both mask settings, a few payloads.
    for opcode in range(16):
        add(opcode=opcode, payload=b"Hello")
        add(opcode=opcode, payload=b"", masked=False)
    # The length edges in each form, masked and not.
    for n in (0, 1, 125, 126, 127, 128, 1000, 1024):
        for form in range(4):
            add(opcode=2, payload=b"\xa5" * n, form=form)
        add(opcode=1, payload=b"x" * n, masked=False)
    # Lies: 2^63 and above, the 16/64-bit edges, a short and a long lie, and
    # 126/127 in the 7-bit field (undecodable by design).
    for declared, form in ((1 << 63, 3), ((1 << 64) - 1, 3), (65535, 2),
                           (65536, 3), (65536, 0), (0, 0), (3, 0), (100, 0),
                           (126, 1), (127, 1), (125, 1), (200, 1),
                           (70000, 2), (5, 3), (5, 2)):
        add(opcode=2, payload=b"abcde", declared=declared, form=form)
        add(opcode=9, payload=b"abcde", declared=declared, form=form,
            masked=False)
    # Control frame rules: fragmented, over 125.
    add(opcode=9, payload=b"p", fin=0)
    add(opcode=8, payload=b"\x03\xe8" + b"r" * 124)
    add(opcode=10, payload=b"x" * 126, form=2)
    # RSV bits, negotiated or not; the decoder on the wrong side.
    for rsv in range(1, 8):
        add(opcode=1, payload=b"r", rsv=rsv)
    add(opcode=1, payload=b"r", rsv=4, allow_rsv=True)
    add(opcode=1, payload=b"r", flip_sender=True)
    add(opcode=1, payload=b"r", masked=False, flip_sender=True)
    # Invalid specs the encoder must refuse.
    add(opcode=1, payload=b"r", bad_opcode=True)
    add(opcode=1, payload=b"r", rsv=3, bad_rsv=True)
    # Frame limits.
    for limit in (0x80, 0x81, 0x8e, 0xff):
        add(opcode=2, payload=b"L" * 126, limit=limit)
    add(opcode=2, payload=b"L", key=b"\0\0\0\0")
    # Inputs that end inside the fixed fields.
    for cut in (0, 1, 2, 5, 9, 14):
        corpus.add("frame_roundtrip", frame_roundtrip_input(
            opcode=1, payload=b"abc", declared=1 << 63, form=3)[:cut])
