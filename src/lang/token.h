/* synovia — token kinds of the model language (internal, lang layer).
 *
 * One X-macro list is the single source of truth: it expands into the enum,
 * the spelling table used in messages, and the keyword table of the lexer.
 * X(name, spelling, class): class KW = reserved word, OP = operator or
 * punctuation, SP = a token with variable text or no text. */
#ifndef SYN_LANG_TOKEN_H
#define SYN_LANG_TOKEN_H

#define SYN_TOKEN_LIST(X)                                      \
  X(TK_EOF, "end of file", SP)                                 \
  X(TK_NEWLINE, "end of line", SP)                             \
  X(TK_NAME, "name", SP)                                       \
  X(TK_NUMBER, "number", SP)                                   \
  X(TK_STRING, "string", SP)                                   \
  X(TK_ERROR, "invalid text", SP)                              \
  X(TK_MODEL, "model", KW)                                     \
  X(TK_TIME, "time", KW)                                       \
  X(TK_UNIT, "unit", KW)                                       \
  X(TK_IMPORT, "import", KW)                                   \
  X(TK_COMPARTMENT, "compartment", KW)                         \
  X(TK_PARAM, "param", KW)                                     \
  X(TK_STATE, "state", KW)                                     \
  X(TK_IN, "in", KW)                                           \
  X(TK_LET, "let", KW)                                         \
  X(TK_OUTPUT, "output", KW)                                   \
  X(TK_SOURCE, "source", KW)                                   \
  X(TK_IF, "if", KW)                                           \
  X(TK_PLUS, "+", OP)                                          \
  X(TK_MINUS, "-", OP)                                         \
  X(TK_STAR, "*", OP)                                          \
  X(TK_SLASH, "/", OP)                                         \
  X(TK_CARET, "^", OP)                                         \
  X(TK_LT, "<", OP)                                            \
  X(TK_LE, "<=", OP)                                           \
  X(TK_GT, ">", OP)                                            \
  X(TK_GE, ">=", OP)                                           \
  X(TK_EQEQ, "==", OP)                                         \
  X(TK_NE, "!=", OP)                                           \
  X(TK_AND, "&&", OP)                                          \
  X(TK_OR, "||", OP)                                           \
  X(TK_BANG, "!", OP)                                          \
  X(TK_LPAREN, "(", OP)                                        \
  X(TK_RPAREN, ")", OP)                                        \
  X(TK_COMMA, ",", OP)                                         \
  X(TK_DOT, ".", OP)                                           \
  X(TK_ASSIGN, "=", OP)                                        \
  X(TK_ARROW, "->", OP)                                        \
  X(TK_LBRACE, "{", OP)                                        \
  X(TK_RBRACE, "}", OP)                                        \
  X(TK_SEMI, ";", OP)                                          \
  X(TK_ROUTE, "route", KW)                                     \
  X(TK_PRESET, "preset", KW)                                   \
  X(TK_JOINTS, "joints", KW)                                   \
  X(TK_JOINT, "joint", KW)

typedef enum syn_tk {
#define SYN_TK_ENUM_(name, text, cls) name,
  SYN_TOKEN_LIST(SYN_TK_ENUM_)
#undef SYN_TK_ENUM_
  TK_COUNT_
} syn_tk;

#endif
