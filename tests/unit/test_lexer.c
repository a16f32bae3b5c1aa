/* synovia — unit tests of the lexer (src/lang/lexer.c) and of the unit
 * vocabulary and suggestions it relies on (units.c, suggest.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lang/lexer.h"
#include "lang/suggest.h"
#include "lang/units.h"

enum { MAX_TOKENS = 64 };

typedef struct lexed {
  syn_srcset *src;
  syn_token tok[MAX_TOKENS];
  int n;
  syn_status status; /* of the last lex_next */
  syn_error err;
} lexed;

/* Lex the whole text (up to EOF or the first error). */
static void lex_text(lexed *L, const char *text) {
  memset(L, 0, sizeof *L);
  L->src = syn_srcset_create();
  assert_int_equal(syn_srcset_add_text(L->src, "t.model", text, strlen(text), NULL, NULL),
                   SYN_OK);
  syn_lexer lx;
  lex_init(&lx, L->src, 0);
  do {
    assert_true(L->n < MAX_TOKENS);
    L->status = lex_next(&lx, &L->tok[L->n], &L->err);
    L->n++;
  } while (L->status == SYN_OK && L->tok[L->n - 1].kind != TK_EOF);
}

static void assert_kinds(const lexed *L, const syn_tk *kinds, int n) {
  assert_int_equal(L->n, n);
  for (int i = 0; i < n; i++) assert_int_equal(L->tok[i].kind, kinds[i]);
}

static void assert_text(const lexed *L, int i, const char *text) {
  assert_int_equal(L->tok[i].span.len, strlen(text));
  assert_memory_equal(syn_span_text(L->src, L->tok[i].span), text, strlen(text));
}

static void test_operators(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "+ - * / ^ < <= > >= == != && || ! ( ) , . =");
  static const syn_tk want[] = {TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_CARET, TK_LT,
                                TK_LE,   TK_GT,    TK_GE,   TK_EQEQ,  TK_NE,    TK_AND,
                                TK_OR,   TK_BANG,  TK_LPAREN, TK_RPAREN, TK_COMMA, TK_DOT,
                                TK_ASSIGN, TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_text(&L, 6, "<=");
  syn_srcset_destroy(L.src);
}

static void test_keywords_and_names(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "model time unit import compartment param state in let output source if "
               "t d dt _x9 Model ifx");
  static const syn_tk want[] = {TK_MODEL, TK_TIME,  TK_UNIT, TK_IMPORT, TK_COMPARTMENT,
                                TK_PARAM, TK_STATE, TK_IN,   TK_LET,    TK_OUTPUT,
                                TK_SOURCE, TK_IF,   TK_NAME, TK_NAME,   TK_NAME,
                                TK_NAME,  TK_NAME,  TK_NAME, TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_text(&L, 15, "_x9");
  assert_true(lex_is_keyword(TK_IN));
  assert_false(lex_is_keyword(TK_NAME));
  assert_false(lex_is_keyword(TK_PLUS));
  assert_string_equal(lex_kind_text(TK_COMPARTMENT), "compartment");
  assert_string_equal(lex_kind_text(TK_NEWLINE), "end of line");
  syn_srcset_destroy(L.src);
}

static void test_numbers(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "12 1.5 .5 5. 1e-3 2.5E+4 0.000125 1e-400");
  static const double want[] = {12, 1.5, 0.5, 5, 1e-3, 2.5e4, 0.000125, 0};
  assert_int_equal(L.n, 9);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(L.tok[i].kind, TK_NUMBER);
    assert_true(L.tok[i].number == want[i]);
  }
  assert_text(&L, 5, "2.5E+4");
  syn_srcset_destroy(L.src);
}

static void test_number_followed_by_unit_and_dot(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "3pg 1.2.3 0x10");
  static const syn_tk want[] = {TK_NUMBER, TK_NAME, TK_NUMBER, TK_NUMBER,
                                TK_NUMBER, TK_NAME, TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_true(L.tok[3].number == 0.3);
  assert_true(L.tok[4].number == 0); /* hex is not a number form: 0 then x10 */
  syn_srcset_destroy(L.src);
}

static void test_scenario_tokens(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "route IA -> MSC {a=1; b} joints joint per - > a->b");
  static const syn_tk want[] = {TK_ROUTE, TK_NAME,  TK_ARROW,  TK_NAME,   TK_LBRACE, TK_NAME,
                                TK_ASSIGN, TK_NUMBER, TK_SEMI, TK_NAME,  TK_RBRACE, TK_JOINTS,
                                TK_JOINT, TK_NAME,  TK_MINUS,  TK_GT,     TK_NAME,   TK_ARROW,
                                TK_NAME,  TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_text(&L, 2, "->");
  assert_text(&L, 13, "per"); /* `per` is a word only at the start of `per joint` */
  assert_true(lex_is_keyword(TK_JOINT));
  assert_true(lex_is_keyword(TK_PRESET));
  assert_false(lex_is_keyword(TK_ARROW));
  syn_srcset_destroy(L.src);
}

static void test_qualified_names(void **state) {
  (void)state;
  lexed L;
  /* ident '.' ident without spaces is one name; anything else is not */
  lex_text(&L, "knee_R.TNF a.b.c a. b .c x .y mg.L^2 k.5");
  static const syn_tk want[] = {TK_NAME, TK_NAME, TK_NAME, TK_DOT, TK_NAME, TK_DOT,
                                TK_NAME, TK_NAME, TK_DOT,  TK_NAME, TK_NAME, TK_CARET,
                                TK_NUMBER, TK_NAME, TK_NUMBER, TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_text(&L, 0, "knee_R.TNF");
  assert_text(&L, 1, "a.b.c");
  assert_text(&L, 10, "mg.L");
  assert_text(&L, 13, "k");
  assert_true(L.tok[14].number == 0.5);
  syn_srcset_destroy(L.src);
}

static void test_number_errors(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "a = 1e999");
  assert_int_equal(L.status, SYN_EINPUT);
  assert_int_equal(L.tok[L.n - 1].kind, TK_ERROR);
  assert_string_equal(L.err.message, "number '1e999' is too large");
  assert_int_equal(L.err.col, 5);
  assert_int_equal(L.err.span, 5);
  syn_srcset_destroy(L.src);
  lex_text(&L, "2E");
  assert_string_equal(L.err.message, "malformed number '2E' (the exponent has no digits)");
  syn_srcset_destroy(L.src);
  /* A long number goes through the heap copy and still converts. */
  char text[400];
  memset(text, '0', sizeof text - 3);
  memcpy(text + sizeof text - 3, "7", 2);
  lex_text(&L, text);
  assert_int_equal(L.status, SYN_OK);
  assert_true(L.tok[0].number == 7);
  syn_srcset_destroy(L.src);
}

static void test_strings(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "\"a \\\"b\\\" \\\\ \\n \\t \xce\xb1\" \"\"");
  assert_int_equal(L.status, SYN_OK);
  assert_int_equal(L.tok[0].kind, TK_STRING);
  assert_int_equal(L.tok[1].kind, TK_STRING);
  assert_int_equal(L.tok[1].span.len, 2);
  syn_srcset_destroy(L.src);
}

static void test_string_errors(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "x \"abc\ndef\"");
  assert_int_equal(L.status, SYN_EINPUT);
  assert_string_equal(L.err.message, "unterminated string");
  assert_int_equal(L.err.line, 1);
  assert_int_equal(L.err.col, 3);
  assert_int_equal(L.err.span, 1);
  syn_srcset_destroy(L.src);
  lex_text(&L, "\"abc");
  assert_string_equal(L.err.message, "unterminated string");
  syn_srcset_destroy(L.src);
  lex_text(&L, "\"a\\\xce\xb1\"");
  assert_string_equal(L.err.message, "unknown escape '\\\xce\xb1' in string");
  assert_int_equal(L.err.col, 3);
  assert_int_equal(L.err.span, 2);
  syn_srcset_destroy(L.src);
}

static void test_comments_newlines_and_flags(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "a # comment \xce\xb1\r\n\n  b/c\t# x\nd");
  static const syn_tk want[] = {TK_NAME, TK_NEWLINE, TK_NEWLINE, TK_NAME, TK_SLASH,
                                TK_NAME, TK_NEWLINE, TK_NAME,    TK_EOF};
  assert_kinds(&L, want, sizeof want / sizeof want[0]);
  assert_true(L.tok[0].space_before); /* start of text */
  assert_false(L.tok[0].newline_before);
  assert_true(L.tok[3].newline_before);
  assert_true(L.tok[3].space_before);
  assert_false(L.tok[4].space_before); /* "b/c" */
  assert_false(L.tok[5].space_before);
  assert_false(L.tok[5].newline_before);
  assert_true(L.tok[7].newline_before);
  /* Newline tokens point right after the last token of their line. */
  assert_int_equal(L.tok[1].span.off, 1);
  assert_int_equal(L.tok[1].span.len, 0);
  assert_int_equal(L.tok[6].span.off, L.tok[5].span.off + 1);
  /* EOF points after the last token. */
  assert_int_equal(L.tok[8].span.off, L.tok[7].span.off + 1);
  syn_srcset_destroy(L.src);
}

static void test_stray_characters(void **state) {
  (void)state;
  static const struct {
    const char *text, *message, *hint;
    int col;
  } cases[] = {
      {"a @", "unexpected character '@'", "", 3},
      {"a \xce\xb1", "unexpected character '\xce\xb1'",
       "names use ASCII letters, digits and '_'; other characters belong in strings and comments",
       3},
      {"a & b", "unexpected character '&'", "logical and is written '&&'", 3},
      {"a | b", "unexpected character '|'", "logical or is written '||'", 3},
      {"a $", "unexpected character '$'", "", 3},
      {"'a'", "unexpected character '''", "strings are written in double quotes", 1},
      {"x[1]", "unexpected character '['", "group expressions with '(' and ')'", 2},
      {"\x7f", "unexpected control character 0x7F", "", 1},
      {"a\x02", "unexpected control character 0x02", "", 2},
      /* invisible characters are named by code point, not quoted as nothing */
      {"a \xef\xbb\xbf", "unexpected invisible character U+FEFF (byte-order mark)",
       "delete it (an editor or a copy from a web page put it there)", 3},
      {"a\xe2\x80\x8b", "unexpected invisible character U+200B (zero-width space)",
       "delete it (an editor or a copy from a web page put it there)", 2},
      {"a\xc2\xa0+ b", "unexpected invisible character U+00A0 (no-break space)",
       "type an ordinary space instead", 2},
      {"a\xe2\x80\x83", "unexpected invisible character U+2003 (typographic space)",
       "type an ordinary space instead", 2},
      {"a\xe2\x80\xae", "unexpected invisible character U+202E (text-direction mark)",
       "delete it (an editor or a copy from a web page put it there)", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lexed L;
    lex_text(&L, cases[i].text);
    assert_int_equal(L.status, SYN_EINPUT);
    assert_int_equal(L.tok[L.n - 1].kind, TK_ERROR);
    assert_string_equal(L.err.message, cases[i].message);
    assert_string_equal(L.err.hint, cases[i].hint);
    assert_int_equal(L.err.col, cases[i].col);
    assert_int_equal(L.err.span, 1);
    syn_srcset_destroy(L.src);
  }
}

static void test_describe(void **state) {
  (void)state;
  lexed L;
  lex_text(&L, "param \"a long string that goes on and on and on and on\"\n");
  char buf[128];
  lex_describe(L.src, &L.tok[0], buf, sizeof buf);
  assert_string_equal(buf, "'param'");
  lex_describe(L.src, &L.tok[1], buf, sizeof buf);
  assert_string_equal(buf, "'\"a long string that goes on and on and o...'");
  lex_describe(L.src, &L.tok[2], buf, sizeof buf);
  assert_string_equal(buf, "end of line");
  lex_describe(L.src, &L.tok[3], buf, sizeof buf);
  assert_string_equal(buf, "end of file");
  syn_srcset_destroy(L.src);
}

static void test_unit_lookup(void **state) {
  (void)state;
  const syn_unit_def *u = syn_unit_lookup("min", 3);
  assert_non_null(u);
  assert_int_equal(u->kind, SYN_UNIT_TIME);
  assert_true(u->seconds == 60.0);
  u = syn_unit_lookup("hr", 2);
  assert_true(u->seconds == 3600.0);
  assert_string_equal(u->canonical, "h");
  u = syn_unit_lookup("day", 3);
  assert_true(u->seconds == 86400.0);
  assert_string_equal(u->canonical, "d");
  u = syn_unit_lookup("yr", 2);
  assert_true(u->seconds == 365.25 * 86400.0);
  u = syn_unit_lookup("week", 4);
  assert_true(u->seconds == 7 * 86400.0);
  u = syn_unit_lookup("mL", 2);
  assert_int_equal(u->kind, SYN_UNIT_OTHER);
  assert_true(u->seconds == 0.0);
  assert_string_equal(syn_unit_lookup("cell", 4)->canonical, "cells");
  assert_null(syn_unit_lookup("m", 1));   /* ambiguous: left out */
  assert_null(syn_unit_lookup("ml", 2));  /* case-sensitive */
  assert_null(syn_unit_lookup("mo", 2));  /* months have no fixed length */
  assert_non_null(syn_unit_lookup("mLx", 2)); /* length bounds the symbol */
}

static void test_unit_table(void **state) {
  (void)state;
  size_t n = syn_unit_count(), times = 0;
  assert_true(n > 30);
  for (size_t i = 0; i < n; i++) {
    const syn_unit_def *u = syn_unit_at(i);
    assert_ptr_equal(syn_unit_lookup(u->symbol, strlen(u->symbol)), u); /* no duplicates */
    assert_non_null(syn_unit_lookup(u->canonical, strlen(u->canonical)));
    if (u->kind == SYN_UNIT_TIME) {
      times++;
      assert_true(u->seconds >= 1.0);
      assert_true(syn_unit_lookup(u->canonical, strlen(u->canonical))->seconds == u->seconds);
    }
  }
  assert_int_equal(times, 10);
  assert_null(syn_unit_at(n));
}

static void test_unit_suggest(void **state) {
  (void)state;
  assert_string_equal(syn_unit_suggest("pgg", 3), "pg");
  assert_string_equal(syn_unit_suggest("ml", 2), "mL");
  assert_string_equal(syn_unit_suggest("cels", 4), "cells");
  assert_string_equal(syn_unit_suggest("l", 1), "L");      /* a case slip, even when short */
  assert_string_equal(syn_unit_suggest("PG", 2), "pg");
  assert_null(syn_unit_suggest("x", 1));      /* distance must be < length */
  assert_null(syn_unit_suggest("zorks", 5));
  assert_string_not_equal(syn_unit_suggest("mL", 2), "mL"); /* never the word itself */
  assert_string_equal(syn_unit_suggest_kind("hrs", 3, SYN_UNIT_TIME), "hr");
  assert_string_equal(syn_unit_suggest_kind("mins", 4, SYN_UNIT_TIME), "min");
  assert_null(syn_unit_suggest_kind("kg", 2, SYN_UNIT_TIME));
}

static void test_edit_distance(void **state) {
  (void)state;
  assert_int_equal(syn_edit_distance("kitten", 6, "sitting", 7, 5), 3);
  assert_int_equal(syn_edit_distance("kitten", 6, "sitting", 7, 2), 3); /* capped: limit+1 */
  assert_int_equal(syn_edit_distance("", 0, "abc", 3, 5), 3);
  assert_int_equal(syn_edit_distance("param", 5, "parm", 4, 2), 1);
  static const char *const words[] = {"param", "state", "let"};
  assert_string_equal(syn_suggest("parm", 4, words, 3), "param");
  assert_string_equal(syn_suggest("lett", 4, words, 3), "let");
  assert_null(syn_suggest("zzzz", 4, words, 3));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_operators),
      cmocka_unit_test(test_keywords_and_names),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_number_followed_by_unit_and_dot),
      cmocka_unit_test(test_number_errors),
      cmocka_unit_test(test_scenario_tokens),
      cmocka_unit_test(test_qualified_names),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_string_errors),
      cmocka_unit_test(test_comments_newlines_and_flags),
      cmocka_unit_test(test_stray_characters),
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_unit_lookup),
      cmocka_unit_test(test_unit_table),
      cmocka_unit_test(test_unit_suggest),
      cmocka_unit_test(test_edit_distance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
