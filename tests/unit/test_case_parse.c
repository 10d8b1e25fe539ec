/* The case-file parser: every block, step, predicate and error of
 * cases/FORMAT.md, through the public catalogue API. */
#include "case/catalogue.h"
#include "case/corpus.h"
#include "codec/frame.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An <info> block of 7 lines: <send> is line 8, its first step line 9. */
#define INFO(id)                                                               \
  "<info>\nid " id "\ntitle T\narea framing\nrfc 6455#5.2\nlevel MUST\n"       \
  "</info>\n"
#define CASE(send, expect)                                                     \
  INFO("t.1") "<send>\n" send "</send>\n<expect>\n" expect "</expect>\n"

static char err[512];
static ws_catalogue *kept; /* what ok() returned a case from */

static void release(void) {
  ws_catalogue_free(kept);
  kept = NULL;
}

TestSuite(case_info, .fini = release);
TestSuite(case_steps, .fini = release);
TestSuite(case_expect, .fini = release);
TestSuite(case_structure, .fini = release);
TestSuite(case_table, .fini = release);

static ws_catalogue *load(const char *text, int *rc) {
  ws_catalogue *cat = ws_catalogue_new(42);
  cr_assert_not_null(cat);
  err[0] = '\0';
  *rc =
      ws_catalogue_add_text(cat, "x.case", text, strlen(text), err, sizeof err);
  return cat;
}

/* Parses text that must be valid and returns its first case; the catalogue
 * lives until the next ok() or the end of the test. */
static const ws_case *ok(const char *text) {
  int rc;
  release();
  ws_catalogue *cat = kept = load(text, &rc);
  cr_assert_eq(rc, 0, "unexpected error: %s", err);
  cr_assert_gt(ws_catalogue_count(cat), 0);
  return ws_catalogue_get(cat, 0);
}

/* Parses text that must fail with exactly this message. */
static void bad(const char *text, const char *want) {
  int rc;
  ws_catalogue *cat = load(text, &rc);
  cr_assert_eq(rc, -1, "accepted, wanted: %s", want);
  cr_assert_str_eq(err, want);
  cr_assert_eq(ws_catalogue_count(cat), 0, "a failed file added cases");
  ws_catalogue_free(cat);
}

static void bytes_eq(ws_bytes b, const void *want, size_t n) {
  cr_assert_eq(b.len, n, "length %zu, wanted %zu", b.len, n);
  cr_assert_not_null(b.ptr);
  cr_assert(memcmp(b.ptr, want, n) == 0);
}

static const ws_predicate *pred(const ws_case *c, size_t o, size_t a,
                                size_t i) {
  cr_assert_lt(o, c->outcome_count);
  cr_assert_lt(a, c->outcomes[o].count);
  cr_assert_lt(i, c->outcomes[o].alts[a].count);
  return &c->outcomes[o].alts[a].preds[i];
}

/* ---- <info> ---- */

Test(case_info, every_key_is_parsed) {
  const ws_case *c = ok("<info>\nid 1.2.3\ntitle  Binary 125 bytes  \n"
                        "area framing\nrfc 6455#5.2, 6455#5.6\n"
                        "level SHOULD\nautobahn 1.2.3, 1.2.4\n"
                        "timeout 5000\nserial yes\nrole both\n"
                        "description first line\n"
                        "description second line\n</info>\n<send>\n</send>\n"
                        "<expect>\npass echo\n</expect>\n");
  cr_assert_str_eq(c->id, "1.2.3");
  cr_assert_str_eq(c->title, "Binary 125 bytes");
  cr_assert_str_eq(c->area, "framing");
  cr_assert_str_eq(c->rfc, "6455#5.2, 6455#5.6");
  cr_assert_eq(c->level, WS_LEVEL_SHOULD);
  cr_assert_str_eq(c->autobahn, "1.2.3, 1.2.4");
  cr_assert_eq(c->timeout_ms, 5000);
  cr_assert(c->serial);
  cr_assert_eq(c->roles, WS_ROLES_BOTH);
  cr_assert_str_eq(ws_case_roles_name(c->roles), "both");
  cr_assert_str_eq(c->description, "first line second line");
  cr_assert_str_eq(c->file, "x.case");
  cr_assert_eq(c->line, 1);
  cr_assert_str_eq(ws_case_level_name(c->level), "SHOULD");
}

Test(case_info, defaults_for_optional_keys) {
  const ws_case *c = ok(CASE("", "pass otherwise\n"));
  cr_assert_eq(c->timeout_ms, WS_CASE_DEFAULT_TIMEOUT_MS);
  cr_assert_not(c->serial);
  cr_assert_eq(c->roles, WS_ROLES_CLIENT, "the default role is the client");
  cr_assert_null(c->autobahn);
  cr_assert_null(c->description);
  cr_assert_eq(c->step_count, 0);
  cr_assert_not(c->raw_handshake);
  cr_assert_not(c->uses_alive);
}

Test(case_info, invalid_values_are_reported_on_their_line) {
  static const struct {
    const char *line, *msg;
  } cases[] = {
      {"id 1.1 x", "id '1.1 x' may only hold letters, digits, '.', '_' and "
                   "'-'"},
      {"id 123456789012345678901234567890123",
       "id '123456789012345678901234567890123' is longer than 32 "
       "characters"},
      {"area nonsense", "unknown area 'nonsense'"},
      {"level must", "level must be MUST, SHOULD or MAY, not 'must'"},
      {"timeout 0", "timeout must be a number of ms from 1 to 600000"},
      {"timeout 600001", "timeout must be a number of ms from 1 to 600000"},
      {"timeout 100ms", "timeout must be a number of ms from 1 to 600000"},
      {"serial maybe", "serial must be yes or no"},
      {"role peer", "role must be client, server or both, not 'peer'"},
      {"colour blue", "unknown <info> key 'colour'"},
      {"rfc", "'rfc' needs a value"},
      {"title again", "'title' given twice"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[512], want[256];
    int line = 4; /* after <info>, id and title */
    snprintf(text, sizeof text,
             "<info>\nid a.1\ntitle T\n%s\n</info>\n<send>\n</send>\n"
             "<expect>\npass otherwise\n</expect>\n",
             cases[i].line);
    if (strncmp(cases[i].line, "id ", 3) == 0) {
      snprintf(text, sizeof text,
               "<info>\ntitle T\n%s\n</info>\n<send>\n</send>\n"
               "<expect>\npass otherwise\n</expect>\n",
               cases[i].line);
      line = 3;
    }
    snprintf(want, sizeof want, "x.case:%d: %s", line, cases[i].msg);
    bad(text, want);
  }
}

Test(case_info, missing_required_key_points_at_the_block) {
  bad("\n<info>\nid a.1\ntitle T\narea close\nlevel MUST\n</info>\n"
      "<send>\n</send>\n<expect>\npass otherwise\n</expect>\n",
      "x.case:2: <info> has no 'rfc'");
}

/* ---- <send>: frames ---- */

Test(case_steps, data_and_control_frames) {
  const ws_case *c = ok(CASE("text \"Hello\" echo\n"
                             "binary hex\"00 ff\"\n"
                             "ping \"p\" echo\n"
                             "pong\n"
                             "ping echo\n",
                             "pass echo\n"));
  cr_assert_eq(c->step_count, 5);
  const ws_step *s = c->steps;
  cr_assert_eq(s[0].kind, WS_STEP_FRAME);
  cr_assert_eq(s[0].frame.opcode, WS_OP_TEXT);
  cr_assert(s[0].frame.fin);
  cr_assert_eq(s[0].frame.mask, WS_MASK_RANDOM);
  cr_assert_eq(s[0].frame.length_form, WS_LEN_MINIMAL);
  cr_assert_not(s[0].frame.lie_length);
  cr_assert(s[0].echo);
  cr_assert_eq(s[0].line, 9);
  bytes_eq(s[0].payload, "Hello", 5);
  cr_assert_eq(s[1].frame.opcode, WS_OP_BINARY);
  cr_assert_not(s[1].echo);
  bytes_eq(s[1].payload, "\x00\xff", 2);
  cr_assert_eq(s[2].frame.opcode, WS_OP_PING);
  cr_assert(s[2].echo);
  cr_assert_eq(s[3].frame.opcode, WS_OP_PONG);
  bytes_eq(s[3].payload, "", 0);
  cr_assert(s[4].echo, "'ping echo' is an empty ping marked echo");
  bytes_eq(s[4].payload, "", 0);
}

Test(case_steps, close_code_and_reason) {
  const ws_case *c = ok(CASE("close\nclose 1000\nclose 0\n"
                             "close 65535 \"bye\" + hex\"ff\"\n"
                             "close-raw hex\"03\"\n",
                             "pass close any\n"));
  cr_assert_eq(c->step_count, 5);
  for (size_t i = 0; i < 5; i++) {
    cr_assert_eq(c->steps[i].kind, WS_STEP_FRAME);
    cr_assert_eq(c->steps[i].frame.opcode, WS_OP_CLOSE);
  }
  bytes_eq(c->steps[0].payload, "", 0);
  bytes_eq(c->steps[1].payload, "\x03\xe8", 2);
  bytes_eq(c->steps[2].payload, "\x00\x00", 2);
  bytes_eq(c->steps[3].payload,
           "\xff\xff"
           "bye\xff",
           6);
  bytes_eq(c->steps[4].payload, "\x03", 1);
  bad(CASE("close 65536\n", "pass otherwise\n"),
      "x.case:9: close code must be a number from 0 to 65535");
  bad(CASE("close 1000 \"a\" echo\n", "pass otherwise\n"),
      "x.case:9: 'echo' is not allowed on this step");
}

Test(case_steps, fragmented_message) {
  const ws_case *c = ok(CASE("fragmented text \"abcdefg\" in 3 echo\n"
                             "fragmented binary \"\" in 1\n",
                             "pass echo\n"));
  cr_assert_eq(c->steps[0].kind, WS_STEP_FRAGMENTED);
  cr_assert_eq(c->steps[0].frame.opcode, WS_OP_TEXT);
  cr_assert_eq(c->steps[0].fragment_size, 3);
  cr_assert(c->steps[0].echo);
  bytes_eq(c->steps[0].payload, "abcdefg", 7);
  cr_assert_eq(c->steps[1].frame.opcode, WS_OP_BINARY);
  cr_assert_eq(c->steps[1].payload.len, 0);
  bad(CASE("fragmented text \"a\" in 0\n", "pass otherwise\n"),
      "x.case:9: fragment size must be a number from 1 to 67108864");
  bad(CASE("fragmented ping \"a\" in 1\n", "pass otherwise\n"),
      "x.case:9: fragmented needs text or binary");
  bad(CASE("fragmented text \"a\" 1\n", "pass otherwise\n"),
      "x.case:9: fragmented needs 'in N' after the payload");
}

Test(case_steps, stream_step) {
  const ws_case *c = ok(CASE("stream text json 16384 count 3 full 1000 in 256\n"
                             "stream binary german 16\n",
                             "pass stream-echo\n"));
  const ws_step *s = &c->steps[0];
  cr_assert_eq(s->kind, WS_STEP_STREAM);
  cr_assert_eq(s->frame.opcode, WS_OP_TEXT);
  cr_assert_eq(s->stream.corpus, WS_CORPUS_JSON);
  cr_assert_eq(s->stream.size, 16384);
  cr_assert_eq(s->stream.count, 3);
  cr_assert_eq(s->stream.full_count, 1000);
  cr_assert_eq(s->stream.fragment, 256);
  cr_assert(s->echo);
  s = &c->steps[1];
  cr_assert_eq(s->frame.opcode, WS_OP_BINARY);
  cr_assert_eq(s->stream.count, 1);
  cr_assert_eq(s->stream.full_count, 1, "full defaults to count");
  cr_assert_eq(s->stream.fragment, 0);
  cr_assert_eq(ws_case_stream_messages(c, WS_PROFILE_DEFAULT), 4);
  cr_assert_eq(ws_case_stream_messages(c, WS_PROFILE_FULL), 1001);
  cr_assert_eq(c->outcomes[0].alts[0].preds[0].kind, WS_PRED_STREAM_ECHO);
  bad(CASE("stream text german 16\n", "pass otherwise\n"),
      "x.case:9: stream: german slices are not always valid UTF-8; send "
      "them as binary");
  bad(CASE("stream ping json 16\n", "pass otherwise\n"),
      "x.case:9: stream needs text or binary, not 'ping'");
  bad(CASE("stream text pdf 16\n", "pass otherwise\n"),
      "x.case:9: stream: 'pdf' is not a corpus (json, html, prose, german, "
      "bitmap, random)");
  bad(CASE("stream text json 16 count 0\n", "pass otherwise\n"),
      "x.case:9: stream: count must be a number from 1 to 100000");
  bad(CASE("stream text json 16 in 4 in 5\n", "pass otherwise\n"),
      "x.case:9: stream: 'in' given twice");
  bad(CASE("stream text json 16 echo\n", "pass otherwise\n"),
      "x.case:9: stream: unexpected 'echo' (count N, full N, in N, "
      "uncompressed)");
}

Test(case_steps, corpus_payload) {
  const ws_case *c = ok(CASE("text corpus(json, 40) echo\n"
                             "binary corpus(bitmap, 10, 4090) + \"!\"\n",
                             "pass echo\n"));
  uint8_t want[40];
  ws_corpus_fill(WS_CORPUS_JSON, WS_CORPUS_SEED, 0, want, sizeof want);
  bytes_eq(c->steps[0].payload, want, sizeof want);
  uint8_t tail[11];
  ws_corpus_fill(WS_CORPUS_BITMAP, WS_CORPUS_SEED, 4090, tail, 10);
  tail[10] = '!';
  bytes_eq(c->steps[1].payload, tail, sizeof tail);
  bad(CASE("text corpus(pdf, 4)\n", "pass otherwise\n"),
      "x.case:9: corpus(KIND, N): KIND is one of json, html, prose, german, "
      "bitmap, random");
  bad(CASE("text corpus(json 4)\n", "pass otherwise\n"),
      "x.case:9: corpus(KIND, N) is missing ', N'");
  bad(CASE("text corpus(json, 4\n", "pass otherwise\n"),
      "x.case:9: corpus(KIND, N) is missing its ')'");
}

Test(case_steps, frame_with_every_field) {
  const ws_case *c = ok(
      CASE("frame op=continuation fin=0 rsv=5 mask=0a0B0c0D length-form=64 "
           "declared=18446744073709551615 payload=\"x\" * 3 + hex\"00\" echo\n"
           "frame\n"
           "frame op=11 mask=no length-form=16\n"
           "frame op=ping length-form=7 declared=127 mask=yes\n",
           "pass otherwise\n"));
  const ws_step_frame *f = &c->steps[0].frame;
  cr_assert_eq(c->steps[0].kind, WS_STEP_FRAME);
  cr_assert_eq(f->opcode, WS_OP_CONTINUATION);
  cr_assert_not(f->fin);
  cr_assert_eq(f->rsv, 5);
  cr_assert_eq(f->mask, WS_MASK_FIXED);
  cr_assert(memcmp(f->mask_key, "\x0a\x0b\x0c\x0d", 4) == 0);
  cr_assert_eq(f->length_form, WS_LEN_64BIT);
  cr_assert(f->lie_length);
  cr_assert_eq(f->declared_length, UINT64_MAX);
  cr_assert(c->steps[0].echo);
  bytes_eq(c->steps[0].payload, "xxx\0", 4);
  /* Defaults: a masked, final, empty text frame. */
  f = &c->steps[1].frame;
  cr_assert_eq(f->opcode, WS_OP_TEXT);
  cr_assert(f->fin);
  cr_assert_eq(f->rsv, 0);
  cr_assert_eq(f->mask, WS_MASK_RANDOM);
  cr_assert_eq(c->steps[1].payload.len, 0);
  cr_assert_eq(c->steps[2].frame.opcode, 11);
  cr_assert_eq(c->steps[2].frame.mask, WS_MASK_NONE);
  cr_assert_eq(c->steps[2].frame.length_form, WS_LEN_16BIT);
  cr_assert_eq(c->steps[3].frame.length_form, WS_LEN_7BIT);
  cr_assert_eq(c->steps[3].frame.declared_length, 127);
}

Test(case_steps, frame_field_errors) {
  bad(CASE("frame op=16\n", "pass otherwise\n"),
      "x.case:9: op must be continuation, text, binary, close, ping, pong or "
      "0-15, not '16'");
  bad(CASE("frame colour=red\n", "pass otherwise\n"),
      "x.case:9: unknown frame field 'colour=red' (expected FIELD=VALUE)");
  bad(CASE("frame fin=1 fin=0\n", "pass otherwise\n"),
      "x.case:9: frame field 'fin' given twice");
  bad(CASE("frame mask=0a0b0c\n", "pass otherwise\n"),
      "x.case:9: mask must be yes, no or 8 hex digits, not '0a0b0c'");
  bad(CASE("frame length-form=7 declared=128\n", "pass otherwise\n"),
      "x.case:9: length 128 does not fit length-form=7");
  bad(CASE("frame length-form=16 payload=\"a\" * 65536\n", "pass otherwise\n"),
      "x.case:9: length 65536 does not fit length-form=16");
  bad(CASE("frame declared=18446744073709551616\n", "pass otherwise\n"),
      "x.case:9: declared must be 0 to 18446744073709551615, not "
      "'18446744073709551616'");
  bad(CASE("frame payload=\"a\" rsv=1\n", "pass otherwise\n"),
      "x.case:9: unexpected 'rsv=1' after the step");
}

/* ---- <send>: transport and handshake ---- */

Test(case_steps, transport_steps) {
  const ws_case *c = ok(CASE("raw hex\"81 00\"\nchop 1\nchop off\ncoalesce\n"
                             "flush\nwait 250\nwait 0\nawait\n",
                             "pass otherwise\n"));
  cr_assert_eq(c->step_count, 8);
  cr_assert_eq(c->steps[0].kind, WS_STEP_RAW);
  bytes_eq(c->steps[0].payload, "\x81\x00", 2);
  cr_assert_eq(c->steps[1].kind, WS_STEP_CHOP);
  cr_assert_eq(c->steps[1].number, 1);
  cr_assert_eq(c->steps[2].kind, WS_STEP_CHOP);
  cr_assert_eq(c->steps[2].number, 0);
  cr_assert_eq(c->steps[3].kind, WS_STEP_COALESCE);
  cr_assert_eq(c->steps[4].kind, WS_STEP_FLUSH);
  cr_assert_eq(c->steps[5].kind, WS_STEP_WAIT);
  cr_assert_eq(c->steps[5].number, 250);
  cr_assert_eq(c->steps[6].number, 0);
  cr_assert_eq(c->steps[7].kind, WS_STEP_AWAIT);
  cr_assert_str_eq(ws_step_kind_name(c->steps[3].kind), "coalesce");
  cr_assert_str_eq(ws_step_kind_name(c->steps[7].kind), "await");
}

Test(case_steps, junk_after_a_value) {
  bad(CASE("wait 100 ms\n", "pass otherwise\n"),
      "x.case:9: unexpected 'ms' after the step");
  bad(CASE("wait 600001\n", "pass otherwise\n"),
      "x.case:9: wait must be a number from 0 to 600000");
  bad(CASE("chop 0\n", "pass otherwise\n"),
      "x.case:9: chop must be a number from 1 to 67108864");
  bad(CASE("await 100\n", "pass otherwise\n"),
      "x.case:9: unexpected '100' after the step");
  bad(CASE("flush now\n", "pass otherwise\n"),
      "x.case:9: unexpected 'now' after the step");
  bad(CASE("text \"a\" \"b\"\n", "pass otherwise\n"),
      "x.case:9: unexpected '\"b\"' after the step");
  bad(CASE("raw \"a\" echo\n", "pass otherwise\n"),
      "x.case:9: 'echo' is not allowed on this step");
  bad(CASE("send \"a\"\n", "pass otherwise\n"),
      "x.case:9: unknown step 'send'");
}

Test(case_steps, handshake_options) {
  const ws_case *c = ok(CASE("handshake protocols=\"chat, superchat\" "
                             "extensions=permessage-deflate coalesce=yes\n"
                             "text \"a\"\n",
                             "pass upgraded\n"));
  cr_assert_eq(c->steps[0].kind, WS_STEP_HANDSHAKE);
  cr_assert_str_eq(c->steps[0].protocols, "chat, superchat");
  cr_assert_str_eq(c->steps[0].extensions, "permessage-deflate");
  cr_assert(c->steps[0].coalesce);
  cr_assert_not(c->raw_handshake);
  c = ok(CASE("handshake\n", "pass upgraded\n"));
  cr_assert_null(c->steps[0].protocols);
  cr_assert_null(c->steps[0].extensions);
  cr_assert_not(c->steps[0].coalesce);
  bad(CASE("handshake colour=\"x\"\n", "pass otherwise\n"),
      "x.case:9: unknown handshake option 'colour=\"x\"' (protocols=, "
      "extensions=, coalesce=)");
  bad(CASE("handshake protocols=\"a\" protocols=\"b\"\n", "pass otherwise\n"),
      "x.case:9: handshake option given twice");
}

Test(case_steps, handshake_and_request_must_come_first) {
  bad(CASE("text \"a\"\nhandshake\n", "pass otherwise\n"),
      "x.case:10: handshake must be the first step, after `chop` steps only "
      "(it replaces the opening handshake)");
  bad(CASE("ping\nrequest-bytes \"GET\"\n", "pass otherwise\n"),
      "x.case:10: request-bytes must be the first step, after `chop` steps "
      "only (it replaces the opening handshake)");
  bad(CASE("chop 1\ncoalesce\nhandshake\n", "pass otherwise\n"),
      "x.case:11: handshake must be the first step, after `chop` steps only "
      "(it replaces the opening handshake)");
}

Test(case_steps, chop_may_precede_the_opening_step_to_drip_it) {
  const ws_case *c = ok(
      CASE("chop 1\nrequest-bytes \"GET\"\ntext \"a\"\n", "pass otherwise\n"));
  cr_assert_eq(c->step_count, 3);
  cr_assert_eq(c->steps[0].kind, WS_STEP_CHOP);
  cr_assert_eq(c->steps[1].kind, WS_STEP_REQUEST);
  cr_assert(c->raw_handshake, "the request is still the opening step");
  c = ok(CASE("chop 2\nhandshake\n", "pass otherwise\n"));
  cr_assert(!c->raw_handshake);
  cr_assert_eq(c->steps[1].kind, WS_STEP_HANDSHAKE);
}

Test(case_steps, request_block) {
  const ws_case *c = ok(CASE("request\n"
                             "GET {path} HTTP/1.1\n"
                             "Host: {host}\n"
                             "# not a comment here\n"
                             "X-Split: ab\\\n"
                             "cd\\t\\x41\\\\\n"
                             "Sec-WebSocket-Key: {key}\n"
                             "end\n"
                             "text \"after\"\n",
                             "pass upgraded\n"));
  const char *want = "GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                     "# not a comment here\r\nX-Split: abcd\tA\\\r\n"
                     "Sec-WebSocket-Key: {key}\r\n\r\n";
  cr_assert_eq(c->step_count, 2);
  cr_assert_eq(c->steps[0].kind, WS_STEP_REQUEST);
  bytes_eq(c->steps[0].payload, want, strlen(want));
  cr_assert(c->steps[0].request_is_template);
  cr_assert(c->raw_handshake);
  cr_assert_eq(c->steps[1].line, 17);
}

Test(case_steps, request_keeps_given_empty_line_and_literal_braces) {
  const ws_case *c = ok(CASE("request\n  GET / HTTP/1.1\n\\{host}\\r\n\nend\n",
                             "pass status 400\n"));
  /* Leading blanks are kept (header folding probes need them); the given
   * empty line ends the block, so none is added. */
  const char *want = "  GET / HTTP/1.1\r\n{host}\r\r\n\r\n";
  bytes_eq(c->steps[0].payload, want, strlen(want));
  cr_assert_not(c->steps[0].request_is_template);
  bad(CASE("request\nGET {path} HTTP/1.1\n\\{host}\nend\n", "pass otherwise\n"),
      "x.case:9: an escaped \\{host}, \\{path} or \\{key} cannot be sent "
      "literally in a request that also uses placeholders");
  bad(CASE("request\nGET \\q\nend\n", "pass otherwise\n"),
      "x.case:10: unknown escape in request (\\r \\n \\t \\xNN \\\\ \\{ "
      "work)");
  bad(CASE("request\nGET / HTTP/1.1\n", "pass otherwise\n"),
      "x.case:9: request block has no 'end' line");
  bad(CASE("request\nend\n", "pass otherwise\n"),
      "x.case:9: empty request block");
}

Test(case_steps, request_bytes) {
  const ws_case *c =
      ok(CASE("request-bytes \"GET / HTTP/1.1\\r\\nX-Pad: \" + \"a\" * 9000\n",
              "pass status 4xx | no-response\n"));
  cr_assert_eq(c->steps[0].kind, WS_STEP_REQUEST);
  cr_assert_eq(c->steps[0].payload.len, 16 + 7 + 9000);
  cr_assert_not(c->steps[0].request_is_template);
  cr_assert(c->raw_handshake);
  c = ok(CASE("request-bytes \"GET {path} HTTP/1.1\\r\\n\\r\\n\"\n",
              "pass otherwise\n"));
  cr_assert(c->steps[0].request_is_template);
}

Test(case_steps, labels) {
  const ws_case *c =
      ok(CASE("first: text \"a\"\nping\nbad-bytes: raw hex\"ff\"\n",
              "pass before bad-bytes\n"));
  cr_assert_str_eq(c->steps[0].label, "first");
  cr_assert_null(c->steps[1].label);
  cr_assert_str_eq(c->steps[2].label, "bad-bytes");
  const ws_predicate *p = pred(c, 0, 0, 0);
  cr_assert_eq(p->kind, WS_PRED_BEFORE);
  cr_assert_eq(p->step_index, 2);
  cr_assert_str_eq(p->name, "bad-bytes");
  bad(CASE("a: text \"x\"\nb: ping\na: pong\n", "pass otherwise\n"),
      "x.case:11: duplicate label 'a' (first at line 9)");
  bad(CASE("a:\n", "pass otherwise\n"), "x.case:9: label without a step");
  bad(CASE("a: text \"x\"\n", "pass before b\n"),
      "x.case:12: before names an unknown label 'b'");
}

Test(case_steps, step_and_payload_limits) {
  /* 4096 steps are fine, 4097 are not. */
  size_t n = 4097, cap = 64 + n * 6 + 256;
  char *text = malloc(cap);
  strcpy(text, INFO("t.1") "<send>\n");
  for (size_t i = 0; i < n; i++)
    strcat(text, "flush\n");
  strcat(text, "</send>\n<expect>\npass otherwise\n</expect>\n");
  bad(text, "x.case:4105: more than 4096 steps in one case");
  char *cut = strstr(text, "flush\n</send>");
  memmove(cut, cut + 6, strlen(cut + 6) + 1);
  cr_assert_eq(ok(text)->step_count, 4096);
  free(text);
  bad(CASE("binary \"ab\" * 33554432 + \"c\"\n", "pass otherwise\n"),
      "x.case:9: payload larger than the limit of 67108864 bytes");
}

/* ---- <expect> ---- */

Test(case_expect, grades_alternatives_and_conjunctions) {
  const ws_case *c = ok(CASE("", "pass close 1000 & no-close | drop\n"
                                 "non-strict echo\n"
                                 "informational partial-echo\n"
                                 "unimplemented no-response\n"
                                 "fail otherwise\n"));
  cr_assert_eq(c->outcome_count, 5);
  const ws_outcome *o = &c->outcomes[0];
  cr_assert_eq(o->grade, WS_VERDICT_PASS);
  cr_assert_str_eq(o->text, "close 1000 & no-close | drop");
  cr_assert_eq(o->line, 11);
  cr_assert_eq(o->count, 2);
  cr_assert_eq(o->alts[0].count, 2);
  cr_assert_eq(o->alts[0].preds[0].kind, WS_PRED_CLOSE);
  cr_assert_eq(o->alts[0].preds[1].kind, WS_PRED_NO_CLOSE);
  cr_assert_eq(o->alts[1].count, 1);
  cr_assert_eq(o->alts[1].preds[0].kind, WS_PRED_DROP);
  cr_assert_eq(c->outcomes[1].grade, WS_VERDICT_NON_STRICT);
  cr_assert_eq(pred(c, 1, 0, 0)->kind, WS_PRED_ECHO);
  cr_assert_eq(c->outcomes[2].grade, WS_VERDICT_INFORMATIONAL);
  cr_assert_eq(pred(c, 2, 0, 0)->kind, WS_PRED_PARTIAL_ECHO);
  cr_assert_eq(c->outcomes[3].grade, WS_VERDICT_UNIMPLEMENTED);
  cr_assert_eq(pred(c, 3, 0, 0)->kind, WS_PRED_NO_RESPONSE);
  cr_assert_eq(c->outcomes[4].grade, WS_VERDICT_FAIL);
  cr_assert_eq(pred(c, 4, 0, 0)->kind, WS_PRED_OTHERWISE);
}

Test(case_expect, counts_and_ranges) {
  const ws_case *c = ok(CASE("", "pass messages 3 & pongs 0..10\n"
                                 "fail messages 4294967295\n"));
  const ws_predicate *p = pred(c, 0, 0, 0);
  cr_assert_eq(p->kind, WS_PRED_MESSAGES);
  cr_assert_eq(p->min, 3);
  cr_assert_eq(p->max, 3);
  p = pred(c, 0, 0, 1);
  cr_assert_eq(p->kind, WS_PRED_PONGS);
  cr_assert_eq(p->min, 0);
  cr_assert_eq(p->max, 10);
  cr_assert_eq(pred(c, 1, 0, 0)->max, UINT32_MAX);
  bad(CASE("", "pass pongs 5..2\n"), "x.case:11: pongs range 5..2 is empty");
  bad(CASE("", "pass messages\n"), "x.case:11: messages needs N or N..M");
  bad(CASE("", "pass messages 1..\n"), "x.case:11: messages needs N or N..M");
}

Test(case_expect, close_code_sets) {
  const ws_case *c = ok(CASE("", "pass close 1002,1007\n"
                                 "pass close empty\nfail close any\n"
                                 "fail close valid, 0 ,65535\n"));
  const ws_code_set *s = &pred(c, 0, 0, 0)->codes;
  cr_assert_eq(s->count, 2);
  cr_assert_eq(s->codes[0], 1002);
  cr_assert_eq(s->codes[1], 1007);
  cr_assert_not(s->any || s->empty || s->valid);
  cr_assert(pred(c, 1, 0, 0)->codes.empty);
  cr_assert(pred(c, 2, 0, 0)->codes.any);
  s = &pred(c, 3, 0, 0)->codes;
  cr_assert(s->valid);
  cr_assert_eq(s->count, 2);
  cr_assert_eq(s->codes[0], 0);
  cr_assert_eq(s->codes[1], 65535);
  bad(CASE("", "pass close\n"), "x.case:11: close needs a list of codes");
  bad(CASE("", "pass close 1000,,1001\n"),
      "x.case:11: empty item in a code list");
  bad(CASE("", "pass close 70000\n"),
      "x.case:11: close code '70000' is not 0-65535, empty, any or valid");
  bad(CASE("", "pass close 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n"),
      "x.case:11: more than 16 codes in one list");
}

Test(case_expect, status_code_sets) {
  const ws_case *c = ok(CASE("", "pass status 101\n"
                                 "pass status 400,405 | status 4xx,5xx\n"
                                 "fail status any\n"));
  const ws_code_set *s = &pred(c, 0, 0, 0)->codes;
  cr_assert_eq(pred(c, 0, 0, 0)->kind, WS_PRED_STATUS);
  cr_assert_eq(s->count, 1);
  cr_assert_eq(s->codes[0], 101);
  cr_assert_eq(pred(c, 1, 0, 0)->codes.count, 2);
  cr_assert_eq(pred(c, 1, 1, 0)->codes.classes, (1u << 4) | (1u << 5));
  cr_assert_eq(pred(c, 1, 1, 0)->codes.count, 0);
  cr_assert(pred(c, 2, 0, 0)->codes.any);
  bad(CASE("", "pass status 6xx\n"),
      "x.case:11: status '6xx' is not 100-599, 1xx-5xx or any");
  bad(CASE("", "pass status empty\n"),
      "x.case:11: status 'empty' is not 100-599, 1xx-5xx or any");
  bad(CASE("", "pass status 99\n"),
      "x.case:11: status '99' is not 100-599, 1xx-5xx or any");
}

Test(case_expect, headers_and_handshake_predicates) {
  const ws_case *c =
      ok(CASE("", "pass upgraded & header Sec-WebSocket-Protocol = chat & "
                  "no-header Sec-WebSocket-Extensions & header Upgrade\n"
                  "fail alive\n"));
  cr_assert_eq(pred(c, 0, 0, 0)->kind, WS_PRED_UPGRADED);
  const ws_predicate *p = pred(c, 0, 0, 1);
  cr_assert_eq(p->kind, WS_PRED_HEADER);
  cr_assert_str_eq(p->name, "Sec-WebSocket-Protocol");
  cr_assert_str_eq(p->value, "chat");
  p = pred(c, 0, 0, 2);
  cr_assert_eq(p->kind, WS_PRED_NO_HEADER);
  cr_assert_str_eq(p->name, "Sec-WebSocket-Extensions");
  cr_assert_null(p->value);
  p = pred(c, 0, 0, 3);
  cr_assert_str_eq(p->name, "Upgrade");
  cr_assert_null(p->value);
  cr_assert_eq(pred(c, 1, 0, 0)->kind, WS_PRED_ALIVE);
  cr_assert(c->uses_alive);
  cr_assert(!pred(c, 0, 0, 1)->value_is_token);
  c = ok(CASE("", "pass header Sec-WebSocket-Version ~ 13\n"));
  p = pred(c, 0, 0, 0);
  cr_assert_str_eq(p->name, "Sec-WebSocket-Version");
  cr_assert_str_eq(p->value, "13");
  cr_assert(p->value_is_token);
  bad(CASE("", "pass header\n"), "x.case:11: header needs a header name");
  bad(CASE("", "pass no-header X=1\n"),
      "x.case:11: no-header needs a header name");
}

Test(case_expect, unknown_words_and_stray_arguments) {
  bad(CASE("", "passed echo\n"),
      "x.case:11: unknown grade 'passed' (pass, non-strict, informational, "
      "unimplemented, fail)");
  bad(CASE("", "error otherwise\n"),
      "x.case:11: unknown grade 'error' (pass, non-strict, informational, "
      "unimplemented, fail)");
  bad(CASE("", "pass closed 1000\n"), "x.case:11: unknown predicate 'closed'");
  bad(CASE("", "pass drop now\n"),
      "x.case:11: 'drop' takes no argument, found 'now'");
  bad(CASE("", "pass echo | \n"),
      "x.case:11: empty condition around '|' or '&'");
  bad(CASE("", "pass\n"), "x.case:11: 'pass' needs a condition");
}

/* ---- structure ---- */

Test(case_structure, missing_and_unterminated_blocks) {
  bad(INFO("a.1") "<send>\n</send>\n",
      "x.case:1: case a.1 has no <expect> block");
  bad(INFO("a.1") "<expect>\npass otherwise\n</expect>\n",
      "x.case:8: expected <send>, found '<expect>' (blocks go <info>, <send>, "
      "<expect>)");
  bad(INFO("a.1") "<send>\n</send>\n<expect>\n</expect>\n",
      "x.case:10: <expect> has no outcome line");
  bad(INFO("a.1") "<send>\ntext \"a\"\n",
      "x.case:8: <send> block is not closed");
  bad(INFO("a.1") "<send>\n<expect>\n",
      "x.case:9: block tag inside <send> (missing </send>?)");
  bad("<info>\nid a.1\n", "x.case:1: <info> block is not closed");
  bad(CASE("text \"abc\n", "pass otherwise\n"),
      "x.case:9: unterminated string");
  bad("text \"a\"\n",
      "x.case:1: expected <info> or <table>, found 'text \"a\"'");
  bad("# only a comment\n\n",
      "x.case:1: no case in this file (a case starts with <info>)");
}

Test(case_structure, several_cases_comments_and_crlf) {
  const char *text = "# header comment\r\n\r\n" CASE(
      "  # indented comment\n"
      "text \"a\"\n",
      "pass echo\n") "\n"
                     "<info>\r\nid t.2\r\ntitle Second\r\narea close\r\nrfc "
                     "6455#7\r\n"
                     "level MAY\r\n</info>\r\n<send>\r\nclose "
                     "1000\r\n</send>\r\n"
                     "<expect>\r\npass close 1000\r\n</expect>\r\n";
  int rc;
  ws_catalogue *cat = load(text, &rc);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(ws_catalogue_count(cat), 2);
  const ws_case *a = ws_catalogue_find(cat, "t.1");
  const ws_case *b = ws_catalogue_find(cat, "t.2");
  cr_assert_eq(a->line, 3);
  cr_assert_eq(a->step_count, 1);
  cr_assert_str_eq(b->title, "Second");
  cr_assert_eq(b->level, WS_LEVEL_MAY);
  bytes_eq(b->steps[0].payload, "\x03\xe8", 2);
  ws_catalogue_free(cat);
}

Test(case_structure, nul_byte_and_size_limit) {
  static const char text[] = "<info>\nid a\0b\n";
  int rc;
  ws_catalogue *cat = ws_catalogue_new(0);
  rc = ws_catalogue_add_text(cat, "x.case", text, sizeof text - 1, err,
                             sizeof err);
  cr_assert_eq(rc, -1);
  cr_assert_str_eq(err, "x.case:2: NUL byte in a case file");
  size_t n = WS_CASE_MAX_FILE + 1;
  char *big = malloc(n);
  memset(big, '\n', n);
  rc = ws_catalogue_add_text(cat, "big.case", big, n, err, sizeof err);
  cr_assert_eq(rc, -1);
  cr_assert_str_eq(err, "big.case:1: case file larger than 1 MiB");
  free(big);
  ws_catalogue_free(cat);
}

/* The examples of cases/FORMAT.md, as written there. */
Test(case_structure, format_md_examples_parse) {
  const char *text =
      "# Comments start with '#' at the beginning of a line (after optional "
      "spaces).\n"
      "<info>\nid          2.5\n"
      "title       Ping with a 126-byte payload is rejected\n"
      "area        pings\nrfc         6455#5.5\nlevel       MUST\n"
      "autobahn    2.5\n</info>\n<send>\nping \"*\" * 126\nclose 1000\n"
      "</send>\n<expect>\npass        close 1002\n"
      "non-strict  close empty | drop\nfail        otherwise\n</expect>\n"
      "<table>\nid      | code | title\n"
      "7.7.1   | 1000 | Close with code 1000 is echoed\n"
      "7.7.2   | 1001 | Close with code 1001 is echoed\n</table>\n"
      "<info>\nid      {id}\ntitle   {title}\narea close\nrfc 6455#7.4.1\n"
      "level MUST\nautobahn {id}\n</info>\n<send>\nclose {code}\n</send>\n"
      "<expect>\npass        close {code},1000\nfail        otherwise\n"
      "</expect>\n";
  int rc;
  ws_catalogue *cat = load(text, &rc);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(ws_catalogue_count(cat), 3);
  const ws_case *c = ws_catalogue_find(cat, "2.5");
  cr_assert_eq(c->steps[0].frame.opcode, WS_OP_PING);
  cr_assert_eq(c->steps[0].payload.len, 126);
  cr_assert_eq(c->outcomes[1].grade, WS_VERDICT_NON_STRICT);
  cr_assert_eq(c->outcomes[1].alts[0].preds[0].codes.empty, true);
  c = ws_catalogue_find(cat, "7.7.2");
  cr_assert_str_eq(c->title, "Close with code 1001 is echoed");
  cr_assert_str_eq(c->autobahn, "7.7.2");
  bytes_eq(c->steps[0].payload, "\x03\xe9", 2);
  cr_assert_eq(c->outcomes[0].alts[0].preds[0].codes.codes[0], 1001);
  cr_assert_eq(c->outcomes[0].alts[0].preds[0].codes.codes[1], 1000);
  cr_assert_eq(c->line, 24, "the template's line, not the instance's");
  ws_catalogue_free(cat);
}

/* ---- tables ---- */

#define TPL_INFO                                                               \
  "<info>\nid {id}\ntitle T {{literal}\narea utf8\nrfc 6455#8.1\n"             \
  "level MUST\n</info>\n"

Test(case_table, rows_instantiate_every_block) {
  const ws_case *c;
  int rc;
  ws_catalogue *cat =
      load("<table>\n"
           "id | bytes | n\n"
           "# a comment row is skipped\n"
           "6.1.1 | hex\"ce ba\" | 2\n"
           "6.1.2 |  \"a\\x7cb\"  | 3\n"
           "</table>\n" TPL_INFO "<send>\ntext {bytes} echo\n</send>\n"
           "<expect>\npass echo & messages {n}\n</expect>\n",
           &rc);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(ws_catalogue_count(cat), 2);
  c = ws_catalogue_find(cat, "6.1.1");
  cr_assert_str_eq(c->title, "T {literal}");
  bytes_eq(c->steps[0].payload, "\xce\xba", 2);
  cr_assert_eq(c->outcomes[0].alts[0].preds[1].min, 2);
  c = ws_catalogue_find(cat, "6.1.2");
  bytes_eq(c->steps[0].payload, "a|b", 3);
  cr_assert_eq(c->outcomes[0].alts[0].preds[1].min, 3);
  cr_assert_eq(c->steps[0].line, 15);
  ws_catalogue_free(cat);
}

Test(case_table, errors_name_the_row) {
  bad("<table>\nid | code\nr.1 | 1000\nr.2 | 1001\n</table>\n" TPL_INFO
      "<send>\nclose {code} {reason}\n</send>\n<expect>\npass otherwise\n"
      "</expect>\n",
      "x.case:14 (row r.1): unknown column {reason}");
  bad("<table>\nid | code\nr.1 | 1000\nr.2 | 99999\n</table>\n" TPL_INFO
      "<send>\nclose {code}\n</send>\n<expect>\npass otherwise\n</expect>\n",
      "x.case:14 (row r.2): close code must be a number from 0 to 65535");
  bad("<table>\ncode\n1000\n</table>\n<info>\nid x.{code}\ntitle T\n"
      "area close\nrfc 1\nlevel MUST\n</info>\n<send>\nwait x\n</send>\n"
      "<expect>\npass otherwise\n</expect>\n",
      "x.case:13 (row 1): wait must be a number from 0 to 600000");
}

Test(case_table, malformed_tables) {
  bad("<table>\nid | code\nr.1 | 1000 | extra\n</table>\n",
      "x.case:3: row has more cells than the 2 columns (a cell cannot hold "
      "'|': write \\x7c)");
  bad("<table>\nid | code\nr.1\n</table>\n",
      "x.case:3: row has fewer cells than the 2 columns (a cell cannot hold "
      "'|': write \\x7c)");
  bad("<table>\nid | id\n</table>\n", "x.case:2: column 'id' given twice");
  bad("<table>\nid | a b\n</table>\n",
      "x.case:2: column name 'a b' may only hold letters, digits, '_' and "
      "'-'");
  bad("<table>\nid\n</table>\n", "x.case:1: table has no rows");
  bad("<table>\nid\nr.1\n", "x.case:1: <table> block is not closed");
  bad("<table>\nid\nr.1\n</table>\n# nothing\n",
      "x.case:1: the table's template holds no case (no <info> after "
      "</table>)");
  bad("<table>\nid\nr.1\n</table>\n<table>\n",
      "x.case:5 (row r.1): a table's template cannot hold another <table>");
}

Test(case_table, row_limit_and_duplicate_ids) {
  size_t n = WS_CASE_MAX_ROWS + 1;
  char *text = malloc(32 + n * 8 + 512);
  char *w = text + sprintf(text, "<table>\nid\n");
  for (size_t i = 0; i < n; i++)
    w += sprintf(w, "r.%zu\n", i);
  strcpy(w, "</table>\n" TPL_INFO "<send>\n</send>\n<expect>\npass "
            "otherwise\n</expect>\n");
  bad(text, "x.case:4099: more than 4096 table rows");
  /* Drop the last row: 4096 cases. */
  char *last = strstr(text, "r.4096\n");
  memmove(last, last + 7, strlen(last + 7) + 1);
  int rc;
  ws_catalogue *cat = load(text, &rc);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_eq(ws_catalogue_count(cat), WS_CASE_MAX_ROWS);
  ws_catalogue_free(cat);
  free(text);
  bad("<table>\nid\nr.1\nr.1\n</table>\n" TPL_INFO
      "<send>\n</send>\n<expect>\npass otherwise\n</expect>\n",
      "x.case:6 (row r.1): duplicate case id r.1 (also at x.case:6)");
}

Test(case_table, request_placeholders_pass_through) {
  const ws_case *c = ok("<table>\nid | m\nh.1 | POST\n</table>\n" TPL_INFO
                        "<send>\nrequest\n{m} {path} HTTP/1.1\nHost: {host}\n"
                        "end\n</send>\n<expect>\npass status 4xx\n</expect>\n");
  const char *want = "POST {path} HTTP/1.1\r\nHost: {host}\r\n\r\n";
  bytes_eq(c->steps[0].payload, want, strlen(want));
  cr_assert(c->steps[0].request_is_template);
}

Test(case_table, total_instantiated_text_is_bounded) {
  /* 4096 rows of a 20 KB template would be 80 MiB of text to parse. */
  size_t pad = 20000;
  char *text = malloc(WS_CASE_MAX_ROWS * 8 + pad + 512);
  char *w = text + sprintf(text, "<table>\nid\n");
  for (size_t i = 0; i < WS_CASE_MAX_ROWS; i++)
    w += sprintf(w, "r.%zu\n", i);
  w += sprintf(w, "</table>\n#");
  memset(w, 'c', pad);
  strcpy(w + pad, "\n" TPL_INFO "<send>\n</send>\n<expect>\npass "
                  "otherwise\n</expect>\n");
  int rc;
  ws_catalogue *cat = load(text, &rc);
  cr_assert_eq(rc, -1);
  cr_assert(strstr(err, "table expands to more than 64 MiB of text"), "%s",
            err);
  cr_assert_eq(ws_catalogue_count(cat), 0);
  ws_catalogue_free(cat);
  free(text);
}

Test(case_steps, many_labels_are_indexed) {
  /* 4096 labelled steps: duplicates are found and `before` resolves the
   * last one without comparing every pair. */
  char *text = malloc(128 + 4096 * 24 + 128);
  char *w = text + sprintf(text, INFO("t.1") "<send>\n");
  for (int i = 0; i < 4096; i++)
    w += sprintf(w, "s%d: flush\n", i);
  sprintf(w, "</send>\n<expect>\npass before s4095 | before s0\n</expect>\n");
  const ws_case *c = ok(text);
  cr_assert_eq(pred(c, 0, 0, 0)->step_index, 4095);
  cr_assert_eq(pred(c, 0, 1, 0)->step_index, 0);
  char *dup = strstr(text, "s4000:");
  memcpy(dup, "s12:  ", 6); /* s12 again, at line 8 + 4001 */
  bad(text, "x.case:4009: duplicate label 's12' (first at line 21)");
  free(text);
}

/* ---- because, last-pong, derived flags ---- */

Test(case_expect, because_gives_a_line_its_reason) {
  const ws_case *c =
      ok(CASE("ping \"a\" echo\n",
              "pass echo\n"
              "non-strict partial-echo & last-pong because \"only the latest "
              "(RFC 6455 5.5.3)\"\n"
              "fail otherwise because \"a ping went unanswered: RFC 6455 "
              "5.5.2\"\n"));
  cr_assert_null(c->outcomes[0].because);
  cr_assert_str_eq(c->outcomes[1].because, "only the latest (RFC 6455 5.5.3)");
  cr_assert_str_eq(c->outcomes[1].text, "partial-echo & last-pong");
  cr_assert_eq(pred(c, 1, 0, 1)->kind, WS_PRED_LAST_PONG);
  cr_assert_str_eq(c->outcomes[2].because,
                   "a ping went unanswered: RFC 6455 5.5.2");
  cr_assert_eq(pred(c, 2, 0, 0)->kind, WS_PRED_OTHERWISE);
}

Test(case_expect, because_needs_one_plain_quoted_reason) {
  bad(CASE("text \"x\"\n", "fail otherwise because \"\"\n"),
      "x.case:12: because needs one \"quoted reason\"");
  bad(CASE("text \"x\"\n", "fail otherwise because \"a \"b\" c\"\n"),
      "x.case:12: because needs one \"quoted reason\"");
  /* Not at the end of the line: not a because clause but a predicate. */
  bad(CASE("text \"x\"\n", "fail otherwise because \"a\" echo\n"),
      "x.case:12: 'otherwise' takes no argument, found 'because \"a\" echo'");
}

Test(case_expect, the_handshake_is_a_cases_subject_when_it_says_so) {
  const ws_case *c =
      ok(CASE("text \"x\" echo\n", "pass echo\nfail otherwise\n"));
  cr_assert_not(c->about_handshake);
  c = ok(CASE("handshake protocols=\"a\"\n", "pass echo\nfail otherwise\n"));
  cr_assert(c->about_handshake);
  c = ok(CASE("text \"x\"\n", "pass status 4xx\nfail otherwise\n"));
  cr_assert(c->about_handshake);
  c = ok(CASE("text \"x\"\n", "pass echo & no-header X\nfail otherwise\n"));
  cr_assert(c->about_handshake);
}
