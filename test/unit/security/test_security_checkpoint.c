/* Signed notes and checkpoints: the Go sumdb/note and C2SP reference
 * vectors byte for byte, checkpoint text, sign/verify, tamper rejection,
 * cosignatures and parser strictness. */
#include <sodium.h>
#include <stdlib.h>

#include "check.h"
#include "security/checkpoint.h"

/* From golang.org/x/mod/sumdb/note (note_test.go, example_test.go). */
static const char *GO_SEED_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"; /* 0x01 || seed */
static const char *GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char *ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char *GO_TEXT =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char *GO_SIG =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char *ENOCH_SIG =
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
/* From c2sp.org/signed-note. */
static const char *SPEC_VKEY =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char *SPEC_NOTE =
    "This is an example message.\n\n"
    "\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

static pp_checkpoint_signer_t *go_signer(void) {
  unsigned char k[33];
  size_t n = 0;
  sodium_base642bin(k, sizeof k, GO_SEED_B64, strlen(GO_SEED_B64), NULL, &n, NULL,
                    sodium_base64_VARIANT_ORIGINAL);
  pp_checkpoint_signer_t *s = NULL;
  CHECK(n == 33 && k[0] == 1);
  CHECK_EQ_INT(pp_checkpoint_signer_from_seed("PeterNeumann", k + 1, &s), PP_OK);
  sodium_memzero(k, sizeof k);
  return s;
}

static void test_reference_vectors(void) {
  pp_checkpoint_signer_t *s = go_signer();
  const pp_checkpoint_verifier_t *sv = pp_checkpoint_signer_verifier(s);
  CHECK_EQ_INT(sv->key_id, 0xc74f20a3u);
  CHECK_EQ_INT(pp_checkpoint_key_id("PeterNeumann", sv->pk), 0xc74f20a3u);
  char vkey[PP_LOG_VKEY_MAX];
  CHECK_EQ_INT(pp_checkpoint_verifier_format(sv, vkey, sizeof vkey), PP_OK);
  CHECK_EQ_STR(vkey, GO_VKEY);

  /* Signing reproduces Go's note byte for byte (Ed25519 is deterministic). */
  char want[512], note[512];
  snprintf(want, sizeof want, "%s\n%s", GO_TEXT, GO_SIG);
  size_t len = 0;
  CHECK_EQ_INT(pp_note_sign(s, GO_TEXT, strlen(GO_TEXT), note, sizeof note, &len), PP_OK);
  CHECK_EQ_STR(note, want);
  CHECK_EQ_INT(len, strlen(want));

  pp_checkpoint_verifier_t peter, enoch, spec;
  CHECK_EQ_INT(pp_checkpoint_verifier_parse(GO_VKEY, &peter), PP_OK);
  CHECK_EQ_STR(peter.name, "PeterNeumann");
  CHECK(memcmp(peter.pk, sv->pk, 32) == 0);
  CHECK_EQ_INT(pp_checkpoint_verifier_parse(ENOCH_VKEY, &enoch), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_verifier_parse(SPEC_VKEY, &spec), PP_OK);

  size_t tlen = 0;
  CHECK_EQ_INT(pp_note_open(&peter, want, strlen(want), &tlen), PP_OK);
  CHECK_EQ_INT(tlen, strlen(GO_TEXT));
  CHECK_EQ_INT(pp_note_open(&enoch, want, strlen(want), &tlen), PP_ERR_BAD_REQUEST);

  /* Two signers: each verifier finds its own line and skips the other. */
  char both[1024];
  snprintf(both, sizeof both, "%s\n%s%s", GO_TEXT, GO_SIG, ENOCH_SIG);
  CHECK_EQ_INT(pp_note_open(&peter, both, strlen(both), &tlen), PP_OK);
  CHECK_EQ_INT(pp_note_open(&enoch, both, strlen(both), &tlen), PP_OK);
  CHECK_EQ_INT(tlen, strlen(GO_TEXT));
  snprintf(both, sizeof both, "%s\n%s%s", GO_TEXT, ENOCH_SIG, GO_SIG);
  CHECK_EQ_INT(pp_note_open(&peter, both, strlen(both), &tlen), PP_OK);

  CHECK_EQ_INT(pp_note_open(&spec, SPEC_NOTE, strlen(SPEC_NOTE), &tlen), PP_OK);
  CHECK_EQ_INT(tlen, strlen("This is an example message.\n"));
  CHECK_EQ_INT(pp_note_open(&peter, SPEC_NOTE, strlen(SPEC_NOTE), &tlen), PP_ERR_BAD_REQUEST);

  /* Verifier keys that must not parse. */
  const char *bad_vkeys[] = {
      "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* key id */
      "PeterNeumann+c74f20a3+AhpcL2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  /* algorithm */
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",    /* short */
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   /* 7 hex */
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* space */
      "PeterNeumann+c74f20a3",
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "",
  };
  for (size_t i = 0; i < sizeof bad_vkeys / sizeof bad_vkeys[0]; i++) {
    pp_checkpoint_verifier_t v;
    if (pp_checkpoint_verifier_parse(bad_vkeys[i], &v) != PP_ERR_BAD_REQUEST) {
      fprintf(stderr, "vkey %zu parsed\n", i);
      CHECK(0);
    }
  }
  CHECK_EQ_INT(pp_checkpoint_verifier_parse(NULL, &peter), PP_ERR_INVALID_PARAM);
  pp_checkpoint_signer_free(s);
}

static void test_checkpoint(void) {
  pp_checkpoint_signer_t *s = NULL, *other = NULL;
  CHECK_EQ_INT(pp_checkpoint_signer_new("pipit.example/audit", &s), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_signer_new("pipit.example/audit", &other), PP_OK);
  const pp_checkpoint_verifier_t *v = pp_checkpoint_signer_verifier(s);
  const pp_checkpoint_verifier_t *ov = pp_checkpoint_signer_verifier(other);
  CHECK(v->key_id != ov->key_id);

  pp_checkpoint_t c = {.origin = "pipit.example/audit", .size = 8, .timestamp = 1700000000};
  sodium_hex2bin(c.root, 32, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", 64,
                 NULL, NULL, NULL);

  char text[PP_CHECKPOINT_MAX_LEN];
  size_t tlen = 0;
  CHECK_EQ_INT(pp_checkpoint_format(&c, text, sizeof text, &tlen), PP_OK);
  const char *want_text =
      "pipit.example/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntime 1700000000\n";
  CHECK_EQ_STR(text, want_text);
  CHECK_EQ_INT(tlen, strlen(want_text));

  char note[PP_CHECKPOINT_MAX_LEN], note2[PP_CHECKPOINT_MAX_LEN];
  size_t nlen = 0, nlen2 = 0;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &c, note, sizeof note, &nlen), PP_OK);
  CHECK_EQ_INT(nlen, strlen(note));
  CHECK(strncmp(note, want_text, tlen) == 0);
  CHECK(strncmp(note + tlen, "\n\xe2\x80\x94 pipit.example/audit ", 25) == 0);
  CHECK_EQ_INT(pp_checkpoint_sign(s, &c, note2, sizeof note2, &nlen2), PP_OK);
  CHECK_EQ_STR(note, note2); /* deterministic */

  pp_checkpoint_t got;
  memset(&got, 0, sizeof got);
  CHECK_EQ_INT(pp_checkpoint_open(v, note, nlen, &got), PP_OK);
  CHECK_EQ_STR(got.origin, c.origin);
  CHECK_EQ_INT(got.size, 8);
  CHECK_EQ_INT(got.timestamp, 1700000000);
  CHECK(memcmp(got.root, c.root, 32) == 0);

  /* The vkey round trip gives a verifier that works. */
  char vkey[PP_LOG_VKEY_MAX];
  pp_checkpoint_verifier_t pv;
  CHECK_EQ_INT(pp_checkpoint_verifier_format(v, vkey, sizeof vkey), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_verifier_parse(vkey, &pv), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_open(&pv, note, nlen, &got), PP_OK);

  /* Another key with the same name does not verify it. */
  CHECK_EQ_INT(pp_checkpoint_open(ov, note, nlen, &got), PP_ERR_BAD_REQUEST);

  /* Any single changed byte is rejected. */
  int accepted = 0;
  for (size_t i = 0; i < nlen; i++) {
    for (int d = 1; d <= 2; d++) {
      char t[PP_CHECKPOINT_MAX_LEN];
      memcpy(t, note, nlen + 1);
      t[i] = (char)(t[i] ^ d);
      if (pp_checkpoint_open(v, t, nlen, &got) == PP_OK) {
        fprintf(stderr, "accepted with byte %zu ^ %d\n", i, d);
        accepted++;
      }
    }
  }
  CHECK_EQ_INT(accepted, 0);
  /* Truncated anywhere. */
  for (size_t n = 0; n < nlen; n++)
    if (pp_checkpoint_open(v, note, n, &got) == PP_OK) accepted++;
  CHECK_EQ_INT(accepted, 0);

  /* Cosigned by another key (a witness): still opens with either key; a
   * second, bad line for our own key fails the whole note. */
  char cos[2 * PP_CHECKPOINT_MAX_LEN], wit[PP_CHECKPOINT_MAX_LEN];
  size_t wlen = 0;
  CHECK_EQ_INT(pp_note_sign(other, note, tlen, wit, sizeof wit, &wlen), PP_OK);
  snprintf(cos, sizeof cos, "%s%s", note, wit + tlen + 1);
  CHECK_EQ_INT(pp_checkpoint_open(v, cos, strlen(cos), &got), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_open(ov, cos, strlen(cos), &got), PP_OK);
  char bad_line[PP_CHECKPOINT_MAX_LEN];
  snprintf(bad_line, sizeof bad_line, "%s", note + tlen + 1);
  bad_line[strlen(bad_line) - 10] ^= 1; /* inside the signature */
  snprintf(cos, sizeof cos, "%s%s", note, bad_line);
  CHECK_EQ_INT(pp_checkpoint_open(v, cos, strlen(cos), &got), PP_ERR_BAD_REQUEST);

  /* A much longer signature by another key (another algorithm, say) is
   * skipped; malformed base64 on any line is not. */
  {
    char lng[4096], *q = lng;
    q += snprintf(q, sizeof lng, "%s\xe2\x80\x94 witness.example/pq ", note);
    for (int i = 0; i < 3000; i++) *q++ = (char)('A' + i % 26);
    *q++ = '\n';
    *q = 0;
    CHECK_EQ_INT(pp_checkpoint_open(v, lng, strlen(lng), &got), PP_OK);
    lng[strlen(lng) - 2] = '*';
    CHECK_EQ_INT(pp_checkpoint_open(v, lng, strlen(lng), &got), PP_ERR_BAD_REQUEST);
    /* Our name and key id with a signature of the wrong length fails. */
    unsigned char blob[4 + 68] = {(unsigned char)(v->key_id >> 24),
                                  (unsigned char)(v->key_id >> 16), (unsigned char)(v->key_id >> 8),
                                  (unsigned char)v->key_id};
    char b64[sodium_base64_ENCODED_LEN(sizeof blob, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    char ours[2 * PP_CHECKPOINT_MAX_LEN];
    snprintf(ours, sizeof ours, "%.*s\n\xe2\x80\x94 %s %s\n", (int)tlen, note, v->name, b64);
    CHECK_EQ_INT(pp_checkpoint_open(v, ours, strlen(ours), &got), PP_ERR_BAD_REQUEST);
    /* The same line under another key id is skipped (and nothing verifies). */
    blob[0] ^= 1;
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    snprintf(ours, sizeof ours, "%s\xe2\x80\x94 %s %s\n", note, v->name, b64);
    CHECK_EQ_INT(pp_checkpoint_open(v, ours, strlen(ours), &got), PP_OK);
  }

  /* Over 100 signature lines is refused even if ours comes first. */
  size_t big_cap = nlen + 101 * 200;
  char *big = malloc(big_cap);
  size_t pos = 0;
  memcpy(big, note, nlen);
  pos = nlen;
  for (int i = 0; i < 100; i++) pos += (size_t)snprintf(big + pos, big_cap - pos, "%s", ENOCH_SIG);
  CHECK_EQ_INT(pp_checkpoint_open(v, big, pos, &got), PP_ERR_BAD_REQUEST);
  free(big);

  /* Output buffers too small, bad inputs. */
  char small[PP_CHECKPOINT_MAX_LEN];
  size_t sl = 0;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &c, small, 100, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_checkpoint_sign(s, &c, small, nlen, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_checkpoint_sign(s, &c, small, nlen + 1, &sl), PP_OK);
  pp_checkpoint_t bad = c;
  bad.timestamp = -1;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &bad, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  bad = c;
  strcpy(bad.origin, "a\nb");
  CHECK_EQ_INT(pp_checkpoint_sign(s, &bad, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  bad.origin[0] = 0;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &bad, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_note_sign(s, "no newline", 10, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_note_sign(s, "tab\there\n", 9, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_note_sign(s, "\xc0\xaf\n", 3, note2, sizeof note2, &sl), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_note_sign(s, "caf\xc3\xa9\n", 6, note2, sizeof note2, &sl), PP_OK);
  pp_checkpoint_signer_t *bad_signer = NULL;
  CHECK_EQ_INT(pp_checkpoint_signer_new("has space", &bad_signer), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_checkpoint_signer_new("a+b", &bad_signer), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_checkpoint_signer_new("", &bad_signer), PP_ERR_INVALID_PARAM);
  CHECK(bad_signer == NULL);

  /* Size 0 and the largest size round-trip. */
  pp_checkpoint_t edge = c;
  edge.size = 0;
  edge.timestamp = 0;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &edge, note2, sizeof note2, &sl), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_open(v, note2, sl, &got), PP_OK);
  CHECK(got.size == 0 && got.timestamp == 0);
  edge.size = UINT64_MAX;
  edge.timestamp = INT64_MAX;
  CHECK_EQ_INT(pp_checkpoint_sign(s, &edge, note2, sizeof note2, &sl), PP_OK);
  CHECK_EQ_INT(pp_checkpoint_open(v, note2, sl, &got), PP_OK);
  CHECK(got.size == UINT64_MAX && got.timestamp == INT64_MAX);

  pp_checkpoint_signer_free(s);
  pp_checkpoint_signer_free(other);
  pp_checkpoint_signer_free(NULL);
}

/* pp_checkpoint_parse on its own: strict numbers, exact root, time line. */
/* subst copies `tmpl` into `out` with each '@' replaced by `r`. */
static void subst(char *out, size_t cap, const char *tmpl, const char *r) {
  size_t o = 0, rl = strlen(r);
  for (; *tmpl && o + rl + 1 < cap; tmpl++) {
    if (*tmpl == '@') {
      memcpy(out + o, r, rl);
      o += rl;
    } else {
      out[o++] = *tmpl;
    }
  }
  out[o] = 0;
}

static void test_parse(void) {
  const char *R = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
  struct {
    const char *tmpl; /* '@' stands for the root */
    pp_err_t want;
  } cases[] = {
      {"o\n8\n@\ntime 1\n", PP_OK},
      {"o with spaces - 123\n8\n@\ntime 1\n", PP_OK},
      {"o\n8\n@\ntime 1\nextension line\n", PP_OK},
      {"o\n08\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n-8\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n+8\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n18446744073709551616\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"\n8\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\r\n8\n@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime 01\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime -1\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime 9223372036854775808\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\nstamp 1\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime 1\n\n", PP_ERR_BAD_REQUEST},
      {"o\n8\n@\ntime 1", PP_ERR_BAD_REQUEST},
      {"o\n8\n@=\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n8\nA@\ntime 1\n", PP_ERR_BAD_REQUEST},
      {"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/Rg\ntime 1\n", PP_ERR_BAD_REQUEST},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char t[512];
    subst(t, sizeof t, cases[i].tmpl, R);
    pp_checkpoint_t c;
    pp_err_t e = pp_checkpoint_parse(t, strlen(t), &c);
    if (e != cases[i].want) {
      fprintf(stderr, "parse case %zu: %s, want %s\n", i, pp_err_name(e),
              pp_err_name(cases[i].want));
      CHECK(0);
    }
  }
  /* A root whose last base64 digit has stray low bits is not canonical. */
  pp_checkpoint_t c;
  const char *noncanon = "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\ntime 1\n";
  CHECK_EQ_INT(pp_checkpoint_parse(noncanon, strlen(noncanon), &c), PP_ERR_BAD_REQUEST);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  test_reference_vectors();
  test_checkpoint();
  test_parse();
  return check_report("security_checkpoint");
}
