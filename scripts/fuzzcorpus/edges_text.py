"""Hand-made edges of the text parsers: case files (valid, odd and broken)
for case_parse; HTTP requests (bare LF, obs-fold, duplicate headers,
request-targets, limits) for http_request and server_conn; HTTP responses
and negotiation edges for http_response; Sec-WebSocket-Protocol/-Extensions
and Connection/Upgrade values for header_values.
"""

from .layouts import (CHUNK_BYTES, case_parse_input, chunk_fixed,
                      chunk_list, header_values_input, http_request_input,
                      http_response_input, server_conn_input)
from .wire import (BASE_LINES, SAMPLE_KEY, SECOND_KEY, VALID_REQUEST,
                   accept_for, cframe, request, sframe)


# ---------------------------------------------------------------------------
# Hand-made edges.
# ---------------------------------------------------------------------------

CASE_SKELETON = """<info>
id          x.1
title       t
area        framing
rfc         6455#5.2
level       MUST
</info>
<send>
%s
</send>
<expect>
%s
</expect>
"""


def add_case_parse_edges(corpus):
    sends = [
        'text "Hello" echo',
        'binary hex"00 ff" * 3 echo',
        'ping "*" * 125 echo\nclose 1000 "bye"',
        'close-raw hex"03"',
        'fragmented text "abcdef" in 2 echo',
        'frame op=7 fin=0 rsv=7 mask=no length-form=64 declared=18446744073709551615 payload="x"',
        'frame op=ping mask=01020304 length-form=16 payload=random(10)',
        'l1: text "\\u{10FFFF}\\u{0}\\x80" echo\nwait 10\nl2: close',
        'chop 1\nrequest\nGET {path} HTTP/1.1\nHost: {host}\n X-Fold: a\\\n b\\r\\n\\t\\x41\\\\\\{key}\nSec-WebSocket-Key: {key}\n  end\nbinary',
        'request-bytes "GET / HTTP/1.1\\r\\nHost: {host}\\r\\n" + "X-Pad: " + "a" * 9000 + "\\r\\n\\r\\n"',
        'handshake protocols="a, b" extensions="permessage-deflate; client_max_window_bits" coalesce=yes\ntext "x"\nflush',
        'coalesce\ntext "a" echo\nclose 1000\nflush\nchop off',
        'raw hex"81 85" + random(9)',
    ]
    expects = [
        "pass        echo & close 1000\nnon-strict  close empty | drop\nfail        otherwise",
        "pass  status 101 & upgraded & header Upgrade=websocket & header Sec-WebSocket-Version~13\nfail otherwise",
        "pass  before l2 | messages 1..3 & pongs 0 & no-close\ninformational partial-echo | close valid,1002 , 1007\nunimplemented no-response | status 4xx,400\nfail otherwise",
        "pass alive & no-header Sec-WebSocket-Protocol\nfail otherwise",
    ]
    for i, s in enumerate(sends):
        corpus.add("case_parse", case_parse_input(
            (CASE_SKELETON % (s, expects[i % len(expects)])).encode()))
    table = ("# a table\n<table>\nid | code | title\n9.1 | 1000 | a {{x}\n"
             "9.2 | 4999 | b \\x7c\n</table>\n") + CASE_SKELETON.replace(
                 "x.1", "{id}").replace("title       t",
                                        "title       {title}") % (
                     "close {code}", "pass close {code},1000\nfail otherwise")
    corpus.add("case_parse", case_parse_input(table.encode()))
    info_extra = CASE_SKELETON.replace(
        "level       MUST\n",
        "level       SHOULD\nautobahn    1.1.1, 1.1.2\ntimeout     100\n"
        "serial      yes\ndescription one\ndescription two\n") % (
            "text", "pass otherwise")
    corpus.add("case_parse", case_parse_input(info_extra.encode()))
    for bad in [
        b"",
        b"# only a comment\n\n",
        b"<info>\nid 1\n",
        b"<info>\nid a b\n</info>\n",
        b"<send>\ntext\n</send>\n",
        b"<table>\nid\n</table>\n<table>\n</table>\n",
        b"<table>\nid | a\n1 | {b}\n</table>\n<info>\nid {id}\n{b}\n</info>\n",
        (CASE_SKELETON % ('text "\\xZZ" * 99999999999', "pass")).encode(),
        (CASE_SKELETON % ("frame op=16 fin=2 rsv=8 mask=xyz", "pass")).encode(),
        (CASE_SKELETON % ("wait 600001\nchop 0", "bogus otherwise")).encode(),
        (CASE_SKELETON % ('text "a"', "pass close 1000,1000,1000,1000,1000,"
                          "1000,1000,1000,1000,1000,1000,1000,1000,1000,"
                          "1000,1000,1000")).encode(),
        (CASE_SKELETON % ("l: text\nl: text", "pass before m")).encode(),
        (CASE_SKELETON % ("text\nrequest\nGET / HTTP/1.1\nend",
                          "pass")).encode(),
        b"<info>\r\nid\t1.2\r\n</info>\r\n<send>\r\n</send>\r\n<expect>\r\n"
        b"pass otherwise\r\n</expect>\r\n",
        (CASE_SKELETON % ('text "\\u{D800}" + hex"e" + random(-1)',
                          "pass messages 3..1")).encode(),
    ]:
        corpus.add("case_parse", case_parse_input(bad))


def add_http_edges(corpus):
    reqs = [
        b"",
        b"\r\n",
        b"GET",
        VALID_REQUEST,
        VALID_REQUEST[:40],
        request(BASE_LINES, b"\n"),  # bare LF
        request(BASE_LINES[:2] + [b"X-Fold: a", b" b"] + BASE_LINES[2:]),
        request(BASE_LINES[:2] + [b"Host: other"] + BASE_LINES[2:]),
        request(BASE_LINES + [b"Sec-WebSocket-Key: " + SECOND_KEY]),
        request(BASE_LINES + [b"Sec-WebSocket-Version: 13"]),
        request([b"GET /chat HTTP/1.1", b"Host : x"] + BASE_LINES[2:]),
        request([b"GET /chat HTTP/1.0"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/2.0"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/1.12"] + BASE_LINES[1:]),
        request([b"get /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"POST /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET * HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET http://127.0.0.1:9001/chat?x=1 HTTP/1.1"]
                + BASE_LINES[1:]),
        request([b"GET  /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET /chat  HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/1.1 "] + BASE_LINES[1:]),
        request(BASE_LINES[:2] + [b"Upgrade: foo, WebSocket",
                                  b"Connection: keep-alive, Upgrade"]
                + BASE_LINES[4:]),
        request(BASE_LINES[:3] + [b"Connection: NotUpgrade"]
                + BASE_LINES[4:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: !!!!AAAAAAAAAAAAAAAAAA=="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAB=="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:5] + [b"Sec-WebSocket-Version: 013"]),
        request(BASE_LINES[:5] + [b"Sec-WebSocket-Version: 8"]),
        request(BASE_LINES[:5]),
        request(BASE_LINES + [b"Sec-WebSocket-Protocol: chat, superchat",
                              b"Sec-WebSocket-Protocol: v2",
                              b"Sec-WebSocket-Extensions: permessage-deflate;"
                              b" client_max_window_bits, x-foo; a=\"b\"",
                              b"Origin: http://example.com"]),
        request(BASE_LINES + [b"Sec-WebSocket-Protocol: a b"]),
        request(BASE_LINES + [b"Sec-WebSocket-Extensions: ;;"]),
        request(BASE_LINES + [b"X-Empty:", b"X-Tab:\t v \t", b"X-Obs: \x80\xff"]),
        request(BASE_LINES + [b"Bad\x01Name: v"]),
        request(BASE_LINES + [b": no name"]),
        request(BASE_LINES + [b"NoColon"]),
        request(BASE_LINES + [b"X-%d: v" % i for i in range(70)]),
        request(BASE_LINES + [b"X-Pad: " + b"a" * 9000]),
        request(BASE_LINES, b"\r\n")[:-2] + b"\n",
        b"\r\n\r\n",
        b"GET / HTTP/1.1\r\r\n\r\n",
        b"GET / HTTP/1.1\x00\r\n\r\n",
        request(BASE_LINES + [b"X-Ctl: a\x01b"]),
        request(BASE_LINES + [b"X-Del: \x7f"]),
    ]
    # Request-targets: origin form with percent-encodings (good and bad),
    # characters outside the URI set, a fragment, and the absolute form with
    # each scheme, an empty or odd authority, IPv6 brackets.
    for target in [b"/a%2Fb?x=%41%e9", b"/a%zz", b"/a%2", b"/a%", b"/a\"b",
                   b"/a#frag", b"/a<b>", b"/~-._!$&'()*+,;=:@/?/",
                   b"ws://127.0.0.1:9001/chat", b"wss://h/", b"HTTP://h?q=1",
                   b"https://[::1]:9001/p", b"http:///path", b"http://h%41/",
                   b"http://h%zz/", b"http://ho^st/", b"http://h/%zz",
                   b"ftp://h/", b"http:/h", b"h/p", b"*"]:
        reqs.append(request([b"GET " + target + b" HTTP/1.1"]
                            + BASE_LINES[1:]))
    for r in reqs:
        corpus.add("http_request", http_request_input(r))
        corpus.add("server_conn", server_conn_input(r))
    # Split feeds and small limits (bytes and field count).
    chunks = [CHUNK_BYTES, chunk_fixed(2), chunk_fixed(17),
              chunk_list([1, 3, 0]), chunk_list([40, 1, 2])]
    for i, r in enumerate(reqs[3:13]):
        corpus.add("http_request", http_request_input(
            r, chunk=chunks[i % len(chunks)]))
        corpus.add("server_conn", server_conn_input(r, ops=b"\x00"))
    # Over the limits within max_len: 70 fields against 8, a long line
    # against 256 bytes.
    corpus.add("http_request", http_request_input(
        request(BASE_LINES + [b"X-%d: v" % i for i in range(70)]),
        max_fields=8))
    corpus.add("http_request", http_request_input(
        request(BASE_LINES + [b"X-Pad: " + b"a" * 300]), max_bytes=32))
    for mb, mf in ((1, 0), (4, 0), (16, 3), (0, 5), (255, 31), (20, 6)):
        corpus.add("http_request", http_request_input(
            VALID_REQUEST, max_bytes=mb, max_fields=mf))
        corpus.add("server_conn", server_conn_input(VALID_REQUEST,
                                                    header=mb))
    # Frames pipelined behind the request, read in small pieces.
    corpus.add("server_conn", server_conn_input(
        VALID_REQUEST + cframe(1, b"hi") + cframe(9, b"p")
        + cframe(8, b"\x03\xe8"), ops=b"\x10"))
    corpus.add("server_conn", server_conn_input(
        VALID_REQUEST + cframe(2, b"z" * 1000), ops=b"\x18\x06"))

    acc = accept_for(SAMPLE_KEY)
    RL = [b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket",
          b"Connection: Upgrade", b"Sec-WebSocket-Accept: " + acc]
    resps = [
        b"",
        request(RL),
        request(RL, b"\n"),
        request([b"HTTP/1.1 101"] + RL[1:]),
        request([b"HTTP/1.1 101 "] + RL[1:]),
        request([b"HTTP/1.1 200 OK"] + RL[1:]),
        request([b"HTTP/1.1 1010 X"] + RL[1:]),
        request([b"HTTP/1.1 10 X"] + RL[1:]),
        request([b"HTTP/1.0 101 X"] + RL[1:]),
        request([b"HTTP/2 101 X"] + RL[1:]),
        request([b"HTTP/1.1 400 Bad Request", b"Connection: close",
                 b"Sec-WebSocket-Version: 13", b"Content-Length: 0"]),
        request(RL[:3]),
        request(RL[:3] + [b"Sec-WebSocket-Accept: " + acc[:-1] + b"X"]),
        request(RL + [b"Sec-WebSocket-Accept: " + acc]),
        request([RL[0], b"Upgrade: h2c"] + RL[2:]),
        request([RL[0], RL[1], b"Connection: keep-alive"] + RL[3:]),
        request(RL[:2] + [b"Connection: keep-alive,", b" Upgrade"] + RL[3:]),
        request(RL + [b"Sec-WebSocket-Protocol: chat"]),
        request(RL + [b"Sec-WebSocket-Protocol: chat, superchat"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate; "
                      b"server_no_context_takeover; client_no_context_takeover;"
                      b" server_max_window_bits=10; client_max_window_bits=9"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate; "
                      b"client_max_window_bits"]),
        request(RL + [b"Sec-WebSocket-Extensions: x-unknown"]),
        request(RL + [b"X-%d: v" % i for i in range(70)]),
        request(RL) + sframe(1, b"pipelined"),
        request([b"HTTP/1.1 101X"] + RL[1:]),
        request([b"HTTP/3.0 101 X"] + RL[1:]),
        request([b"HTTP/1.1 101 Switching\x01"] + RL[1:]),
        request([b"HTTP/1.1 1O1 X"] + RL[1:]),
        request(RL + [b"X-Ctl: \x01"]),
    ]
    for r in resps:
        corpus.add("http_response", http_response_input(r))
    # What the client offered: subprotocols and permessage-deflate offers,
    # against responses that select (or not) within them.
    offers = [
        (b"chat, superchat", None),
        (b"chat", b"permessage-deflate; client_max_window_bits"),
        (None, b"permessage-deflate"),
        (None, b"permessage-deflate; server_no_context_takeover; "
               b"server_max_window_bits=10"),
        (None, b"permessage-deflate; client_max_window_bits=9, "
               b"permessage-deflate"),
        (b"", b""),
    ]
    for protocols, extensions in offers:
        for r in resps[1:2] + resps[17:23]:
            corpus.add("http_response", http_response_input(
                r, protocols=protocols, extensions=extensions))
    for chunk in (CHUNK_BYTES, chunk_fixed(9), chunk_list([5, 1, 0])):
        corpus.add("http_response", http_response_input(request(RL), chunk))
    # Negotiation edges: a protocol not offered, an offer that does not
    # parse, extension names differing in case or in one letter, the
    # permessage-deflate answer given twice, parameters not offered.
    neg = [
        (b"chat", None, [b"Sec-WebSocket-Protocol: other"]),
        (b"a b", None, [b"Sec-WebSocket-Protocol: a"]),
        (b"Chat", None, [b"Sec-WebSocket-Protocol: chat"]),
        (b"chat", None, [b"Sec-WebSocket-Protocol: chat",
                         b"Sec-WebSocket-Protocol: chat"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: X-Foo"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: x-fop"]),
        (None, b"x-foo, Permessage-Deflate",
         [b"Sec-WebSocket-Extensions: PERMESSAGE-DEFLATE, x-foo; a=1"]),
        (None, b"permessage-deflate, permessage-deflate",
         [b"Sec-WebSocket-Extensions: permessage-deflate",
          b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"permessage-deflate",
         [b"Sec-WebSocket-Extensions: permessage-deflate; "
          b"client_max_window_bits=10"]),
        (None, b"permessage-deflate; server_max_window_bits=10",
         [b"Sec-WebSocket-Extensions: permessage-deflate; "
          b"server_max_window_bits=12"]),
        (None, b"permessage-deflate; server_no_context_takeover",
         [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"bad;;offer", [b"Sec-WebSocket-Extensions: bad"]),
        (None, b"x", [b"Sec-WebSocket-Extensions: x;;"]),
        (None, b"x", [b"Sec-WebSocket-Extensions:"]),
    ]
    for protocols, extensions, lines in neg:
        corpus.add("http_response", http_response_input(
            request(RL + lines), protocols=protocols, extensions=extensions))


def add_header_value_edges(corpus):
    protos = [b"", b"chat", b"chat, superchat", b"a,b", b" a , b ", b",",
              b",,a,,", b"a b", b"a;b", b"\"a\"", b"a\tb", b"\x80",
              b"!#$%&'*+-.^_`|~09AZaz",
              b", ".join(b"p%d" % i for i in range(32)),
              b", ".join(b"p%d" % i for i in range(33))]
    exts = [
        b"", b"permessage-deflate", b"permessage-deflate; client_max_window_bits",
        b"permessage-deflate; client_max_window_bits=15; server_max_window_bits=8",
        b"permessage-deflate;server_no_context_takeover;client_no_context_takeover",
        b"permessage-deflate; client_max_window_bits, permessage-deflate",
        b"x; a=\"b\"", b"x; a=\"\\b\"", b"x; a=\"b c\"", b"x; a=\"\"",
        b"x; a=\"b,c\", y", b"x; a=\"unterminated", b"x; a=\"\\",
        b"x ; a = b ; c", b"x;", b"x;;", b"x; =b", b"x; a=", b"x; a==b",
        b";x", b"x,,y", b", ,", b"x y", b"x; a b", b"x; a=b c",
        b"\tx\t;\ta\t=\t1\t",
        b", ".join(b"e%d" % i for i in range(16)),
        b", ".join(b"e%d" % i for i in range(17)),
        b"x" + b"".join(b"; p%d" % i for i in range(16)),
        b"x" + b"".join(b"; p%d" % i for i in range(17)),
        b"x; a=\"" + b"v" * 511 + b"\"",
        b"x; a=\"" + b"v" * 300 + b"\"; b=\"" + b"w" * 300 + b"\"",
        b"x; a=\"\xc3\xa9\"", b"\xff",
    ]
    pmd = [
        b"permessage-deflate",
        b"permessage-deflate; server_max_window_bits=8",
        b"permessage-deflate; server_max_window_bits=15",
        b"permessage-deflate; server_max_window_bits=7",
        b"permessage-deflate; server_max_window_bits=16",
        b"permessage-deflate; server_max_window_bits=08",
        b"permessage-deflate; server_max_window_bits=\"10\"",
        b"permessage-deflate; server_max_window_bits",
        b"permessage-deflate; client_max_window_bits",
        b"permessage-deflate; client_max_window_bits=9",
        b"permessage-deflate; server_no_context_takeover=1",
        b"permessage-deflate; server_no_context_takeover; "
        b"server_no_context_takeover",
        b"permessage-deflate; client_max_window_bits=10; "
        b"client_max_window_bits=11",
        b"permessage-deflate; unknown=1",
        b"permessage-deflate; client_no_context_takeover; "
        b"server_max_window_bits=9; client_max_window_bits=12",
    ]
    for v in protos + exts + pmd:
        corpus.add("header_values", header_values_input(v))
    # Repeated header instances (lists span them), the token lookup, and
    # format buffers from none to roomy.
    corpus.add("header_values", header_values_input(
        [b"chat", b"superchat, v2", b""], token=b"v2"))
    corpus.add("header_values", header_values_input(
        [b"permessage-deflate", b"x; a=1", b"y; b=\"c\""], cap=0))
    corpus.add("header_values", header_values_input(
        [b"e%d" % i for i in range(20)], cap=8))
    for v, token in ((b"keep-alive, Upgrade", b"upgrade"),
                     (b"NotUpgrade", b"upgrade"), (b"UPGRADE ,", b"Upgrade"),
                     (b"websocket", b"websocket"),
                     (b"foo, WebSocket", b"websocket"),
                     (b"a, b", b""), (b"a, b", b"a b"),
                     (b"x", b"0123456789abcdef")):
        corpus.add("header_values", header_values_input(v, token=token))
    for cap in (0, 1, 19, 20, 21, 64):
        corpus.add("header_values", header_values_input(
            b"permessage-deflate; client_max_window_bits=10", cap=cap))

