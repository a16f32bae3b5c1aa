/* synovia — the lexer (see lexer.h). Lang layer, below the parser.
 *
 * The text was checked on load (no NUL bytes, valid UTF-8), so the lexer
 * only has to deal with characters that are not part of the language. */
#include "lexer.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

enum token_class { SP, KW, OP };

static const struct {
  const char *text;
  enum token_class cls;
} token_info[TK_COUNT_] = {
#define SYN_TK_INFO_(name, text, cls) {text, cls},
    SYN_TOKEN_LIST(SYN_TK_INFO_)
#undef SYN_TK_INFO_
};

/* Longest number text converted through a stack buffer; longer ones (a
 * hundred zeros typed on purpose) go through the heap. */
enum { NUMBER_STACK_BUF = 128, DESCRIBE_MAX_CHARS = 40 };

const char *lex_kind_text(syn_tk kind) {
  return kind >= 0 && kind < TK_COUNT_ ? token_info[kind].text : "?";
}

int lex_is_keyword(syn_tk kind) { return kind >= 0 && kind < TK_COUNT_ && token_info[kind].cls == KW; }

void lex_init(syn_lexer *lx, const syn_srcset *src, uint32_t file) {
  const syn_source *s = syn_srcset_get(src, file);
  memset(lx, 0, sizeof *lx);
  lx->src = src;
  lx->file = file;
  lx->text = s ? s->text : "";
  lx->len = s ? s->len : 0;
  lx->last_end = SIZE_MAX;
}

static int is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_name_char(char c) { return is_name_start(c) || is_digit(c); }

static char peek_char(const syn_lexer *lx, size_t ahead) {
  return lx->pos + ahead < lx->len ? lx->text[lx->pos + ahead] : 0;
}

static syn_span span_from(const syn_lexer *lx, size_t start) {
  return (syn_span){lx->file, (uint32_t)start, (uint32_t)(lx->pos - start)};
}

static syn_status lex_error(syn_lexer *lx, syn_token *tok, syn_error *err, syn_span at,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static syn_status lex_error(syn_lexer *lx, syn_token *tok, syn_error *err, syn_span at,
                            const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tok->kind = TK_ERROR;
  tok->span = at;
  return syn_diag(err, lx->src, at, SYN_EINPUT, "%s", msg);
}

/* Skip blanks and comments; remember whether anything was skipped. */
static int skip_space(syn_lexer *lx) {
  size_t start = lx->pos;
  for (;;) {
    char c = peek_char(lx, 0);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      lx->pos++;
    } else if (c == '#') {
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n') lx->pos++;
    } else {
      return lx->pos > start;
    }
  }
}

/* keyword = one of the KW entries of SYN_TOKEN_LIST; other names are TK_NAME */
static syn_tk name_kind(const char *s, size_t n) {
  for (int k = 0; k < TK_COUNT_; k++)
    if (token_info[k].cls == KW && strlen(token_info[k].text) == n &&
        memcmp(token_info[k].text, s, n) == 0)
      return (syn_tk)k;
  return TK_NAME;
}

/* name = ident { '.' ident }   with no spaces: `knee_R.TNF` is one name (a
 * joint's copy). Units written `mg.L` lex the same way; the parser splits them. */
static void lex_name(syn_lexer *lx) {
  for (;;) {
    while (is_name_char(peek_char(lx, 0))) lx->pos++;
    if (peek_char(lx, 0) != '.' || !is_name_start(peek_char(lx, 1))) return;
    lx->pos++;
  }
}

static void scan_digits(syn_lexer *lx) {
  while (is_digit(peek_char(lx, 0))) lx->pos++;
}

/* A cut-down copy of a token's text for messages: at most
 * DESCRIBE_MAX_CHARS characters, then "...". */
static void excerpt(const char *s, size_t n, char *buf, size_t size) {
  size_t i = 0, chars = 0;
  while (i < n && chars < DESCRIBE_MAX_CHARS) {
    size_t k = syn_utf8_len(s + i, n - i);
    i += k ? k : 1;
    chars++;
  }
  snprintf(buf, size, "%.*s%s", (int)i, s, i < n ? "..." : "");
}

/* strtod on an exact copy: the source is not cut at the number's end, and
 * strtod alone would also accept hex, "inf" and "nan". Needs LC_NUMERIC "C". */
static syn_status convert_number(const char *s, size_t n, double *value) {
  char stack_buf[NUMBER_STACK_BUF];
  char *buf = n < sizeof stack_buf ? stack_buf : syn_malloc(n + 1);
  if (buf == NULL) return SYN_ENOMEM;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end = NULL;
  *value = strtod(buf, &end); /* ERANGE on underflow is fine: 0 or subnormal */
  int whole = end == buf + n;
  if (buf != stack_buf) syn_free(buf);
  return whole ? SYN_OK : SYN_EINTERNAL;
}

/* number = digits ['.' [digits]] [exponent] | '.' digits [exponent]
 * exponent = ('e'|'E') ['+'|'-'] digits */
static syn_status lex_number(syn_lexer *lx, syn_token *tok, syn_error *err) {
  size_t start = lx->pos;
  scan_digits(lx);
  if (peek_char(lx, 0) == '.') {
    lx->pos++;
    scan_digits(lx);
  }
  char e = peek_char(lx, 0);
  if (e == 'e' || e == 'E') {
    size_t sign = peek_char(lx, 1) == '+' || peek_char(lx, 1) == '-';
    if (!is_digit(peek_char(lx, 1 + sign))) {
      lx->pos += 1;
      while (is_name_char(peek_char(lx, 0))) lx->pos++;
      char text[64];
      excerpt(lx->text + start, lx->pos - start, text, sizeof text);
      return lex_error(lx, tok, err, span_from(lx, start),
                       "malformed number '%s' (the exponent has no digits)", text);
    }
    lx->pos += 1 + sign;
    scan_digits(lx);
  }
  tok->kind = TK_NUMBER;
  tok->span = span_from(lx, start);
  syn_status st = convert_number(lx->text + start, lx->pos - start, &tok->number);
  if (st == SYN_ENOMEM) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  char text[64];
  excerpt(lx->text + start, lx->pos - start, text, sizeof text);
  if (st != SYN_OK) return lex_error(lx, tok, err, tok->span, "cannot read number '%s'", text);
  if (!isfinite(tok->number))
    return lex_error(lx, tok, err, tok->span, "number '%s' is too large", text);
  return SYN_OK;
}

/* string = '"' { char | '\' ( '"' | '\' | 'n' | 't' ) } '"'   (on one line) */
static syn_status lex_string(syn_lexer *lx, syn_token *tok, syn_error *err) {
  size_t start = lx->pos++;
  for (;;) {
    char c = peek_char(lx, 0);
    if (lx->pos >= lx->len || c == '\n' || (c == '\\' && lx->pos + 1 >= lx->len))
      return lex_error(lx, tok, err, (syn_span){lx->file, (uint32_t)start, 1},
                       "unterminated string");
    if (c == '"') break;
    if (c == '\\') {
      char x = peek_char(lx, 1);
      if (x != '"' && x != '\\' && x != 'n' && x != 't') {
        if (x == '\n' || x == '\r')
          return lex_error(lx, tok, err, (syn_span){lx->file, (uint32_t)start, 1},
                           "unterminated string");
        size_t k = syn_utf8_len(lx->text + lx->pos + 1, lx->len - lx->pos - 1);
        char esc[8];
        snprintf(esc, sizeof esc, "%.*s", (int)(k ? k : 1), lx->text + lx->pos + 1);
        syn_span at = {lx->file, (uint32_t)lx->pos, (uint32_t)(1 + (k ? k : 1))};
        return lex_error(lx, tok, err, at, "unknown escape '\\%s' in string", esc);
      }
      lx->pos += 2;
    } else {
      lx->pos++;
    }
  }
  lx->pos++;
  tok->kind = TK_STRING;
  tok->span = span_from(lx, start);
  return SYN_OK;
}

/* A two-character operator when the second character matches, else one. */
static syn_tk pick(syn_lexer *lx, char second, syn_tk two, syn_tk one) {
  if (peek_char(lx, 1) == second) {
    lx->pos += 2;
    return two;
  }
  lx->pos += 1;
  return one;
}

static syn_tk operator_kind(syn_lexer *lx) {
  switch (peek_char(lx, 0)) {
    case '+': lx->pos++; return TK_PLUS;
    case '-': return pick(lx, '>', TK_ARROW, TK_MINUS);
    case '*': lx->pos++; return TK_STAR;
    case '/': lx->pos++; return TK_SLASH;
    case '^': lx->pos++; return TK_CARET;
    case '(': lx->pos++; return TK_LPAREN;
    case ')': lx->pos++; return TK_RPAREN;
    case ',': lx->pos++; return TK_COMMA;
    case '.': lx->pos++; return TK_DOT;
    case '{': lx->pos++; return TK_LBRACE;
    case '}': lx->pos++; return TK_RBRACE;
    case ';': lx->pos++; return TK_SEMI;
    case '<': return pick(lx, '=', TK_LE, TK_LT);
    case '>': return pick(lx, '=', TK_GE, TK_GT);
    case '=': return pick(lx, '=', TK_EQEQ, TK_ASSIGN);
    case '!': return pick(lx, '=', TK_NE, TK_BANG);
    case '&': return peek_char(lx, 1) == '&' ? (lx->pos += 2, TK_AND) : TK_ERROR;
    case '|': return peek_char(lx, 1) == '|' ? (lx->pos += 2, TK_OR) : TK_ERROR;
    default: return TK_ERROR;
  }
}

static const char *stray_hint(char c) {
  switch (c) {
    case '&': return "logical and is written '&&'";
    case '|': return "logical or is written '||'";
    case '\'': return "strings are written in double quotes";
    case '[': case ']': return "group expressions with '(' and ')'";
    default: return "";
  }
}

/* The code point of a valid UTF-8 sequence of k bytes. */
static unsigned long code_point(const unsigned char *p, size_t k) {
  if (k == 1) return p[0];
  unsigned long cp = p[0] & (0xFFu >> (k + 1));
  for (size_t i = 1; i < k; i++) cp = cp << 6 | (p[i] & 0x3Fu);
  return cp;
}

/* What an invisible (or space-like) character is, or NULL: quoted as it is,
 * it would show as nothing (a byte-order mark pasted mid-file, a zero-width
 * space from a web page, a no-break space that looks like a space). */
static const char *invisible_name(unsigned long cp) {
  switch (cp) {
    case 0xFEFF: return "byte-order mark";
    case 0x00A0: return "no-break space";
    case 0x00AD: return "soft hyphen";
    case 0x200B: return "zero-width space";
    case 0x200C: return "zero-width non-joiner";
    case 0x200D: return "zero-width joiner";
    case 0x2060: return "word joiner";
    case 0x2028: return "line separator";
    case 0x2029: return "paragraph separator";
    default: break;
  }
  if ((cp >= 0x200E && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
      (cp >= 0x2066 && cp <= 0x2069))
    return "text-direction mark";
  if (cp >= 0x2000 && cp <= 0x200A) return "typographic space";
  return NULL;
}

static syn_status lex_stray(syn_lexer *lx, syn_token *tok, syn_error *err) {
  size_t start = lx->pos;
  unsigned char c = (unsigned char)lx->text[start];
  size_t k = syn_utf8_len(lx->text + start, lx->len - start);
  lx->pos += k ? k : 1;
  syn_span at = span_from(lx, start);
  char shown[16];
  syn_status st;
  if (c < 0x20 || c == 0x7F) {
    snprintf(shown, sizeof shown, "0x%02X", (unsigned)c);
    st = lex_error(lx, tok, err, at, "unexpected control character %s", shown);
  } else if (k > 1 && invisible_name(code_point((const unsigned char *)lx->text + start, k))) {
    unsigned long cp = code_point((const unsigned char *)lx->text + start, k);
    st = lex_error(lx, tok, err, at, "unexpected invisible character U+%04lX (%s)", cp,
                   invisible_name(cp));
    if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200A))
      syn_error_hint(err, "type an ordinary space instead");
    else
      syn_error_hint(err, "delete it (an editor or a copy from a web page put it there)");
    return st;
  } else {
    snprintf(shown, sizeof shown, "%.*s", (int)(lx->pos - start), lx->text + start);
    st = lex_error(lx, tok, err, at, "unexpected character '%s'", shown);
  }
  if (c >= 0x80)
    syn_error_hint(err, "names use ASCII letters, digits and '_'; other characters belong in "
                        "strings and comments");
  else if (stray_hint((char)c)[0])
    syn_error_hint(err, "%s", stray_hint((char)c));
  return st;
}

static void finish_token(syn_lexer *lx, syn_token *tok, int spaced) {
  tok->newline_before = lx->newline_seen;
  tok->space_before = spaced || lx->newline_seen || tok->span.off == 0;
  lx->newline_seen = 0;
}

/* Where "found end of line/file" points: right after the last token of the
 * line when there is one (so the caret shows what is missing). */
static syn_span end_span(const syn_lexer *lx, size_t at, int same_line_only) {
  size_t off = at;
  if (lx->last_end != SIZE_MAX && (!same_line_only || lx->last_end >= lx->line_start))
    off = lx->last_end;
  return (syn_span){lx->file, (uint32_t)off, 0};
}

syn_status lex_next(syn_lexer *lx, syn_token *tok, syn_error *err) {
  memset(tok, 0, sizeof *tok);
  int spaced = skip_space(lx);
  size_t start = lx->pos;
  syn_status st = SYN_OK;
  if (lx->pos >= lx->len) {
    tok->kind = TK_EOF;
    tok->span = end_span(lx, lx->len, 0);
    finish_token(lx, tok, spaced);
    return SYN_OK;
  }
  char c = lx->text[lx->pos];
  if (c == '\n') {
    tok->kind = TK_NEWLINE;
    tok->span = end_span(lx, lx->pos, 1);
    lx->pos++;
    finish_token(lx, tok, spaced);
    lx->newline_seen = 1;
    lx->line_start = lx->pos;
    return SYN_OK;
  }
  if (is_name_start(c)) {
    lex_name(lx);
    tok->kind = name_kind(lx->text + start, lx->pos - start);
    tok->span = span_from(lx, start);
  } else if (is_digit(c) || (c == '.' && is_digit(peek_char(lx, 1)))) {
    st = lex_number(lx, tok, err);
  } else if (c == '"') {
    st = lex_string(lx, tok, err);
  } else {
    tok->kind = operator_kind(lx);
    tok->span = span_from(lx, start);
    if (tok->kind == TK_ERROR) st = lex_stray(lx, tok, err);
  }
  finish_token(lx, tok, spaced);
  lx->last_end = lx->pos;
  return st;
}

void lex_describe(const syn_srcset *src, const syn_token *tok, char *buf, size_t size) {
  if (tok->kind == TK_EOF || tok->kind == TK_NEWLINE) {
    snprintf(buf, size, "%s", lex_kind_text(tok->kind));
    return;
  }
  char text[DESCRIBE_MAX_CHARS * 4 + 8];
  excerpt(syn_span_text(src, tok->span), tok->span.len, text, sizeof text);
  snprintf(buf, size, "'%s'", text);
}
