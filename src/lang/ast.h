/* synovia — the abstract syntax tree of .model files (internal, lang layer).
 *
 * Built by the parser in an arena owned by syn_program; nothing here knows
 * about ODEs. Names are NUL-terminated arena strings. Numbers keep the value
 * as written plus their unit; conversion to the model clock happens in model/. */
#ifndef SYN_LANG_AST_H
#define SYN_LANG_AST_H

#include <stddef.h>

#include "source.h"

/* ORDER: syn_op_name() in ast.c follows this order. */
typedef enum ast_op {
  AST_ADD, AST_SUB, AST_MUL, AST_DIV, AST_POW,          /* binary arithmetic */
  AST_LT, AST_LE, AST_GT, AST_GE, AST_EQ, AST_NE,       /* comparisons -> 0 or 1 */
  AST_AND, AST_OR,                                      /* logical, on != 0 */
  AST_NEG, AST_NOT                                      /* unary */
} ast_op;

typedef struct ast_unit_term {
  const char *symbol; /* a known unit symbol (validated by the parser) */
  int exponent;       /* e.g. -1 for "/d", 2 for "m^2" */
  syn_span span;
} ast_unit_term;

typedef struct ast_unit {
  ast_unit_term *terms;
  size_t nterms;
  syn_span span;      /* the whole unit text */
} ast_unit;

typedef enum ast_kind { AST_NUM, AST_NAME, AST_UNARY, AST_BINARY, AST_CALL } ast_kind;

typedef struct ast_expr ast_expr;
struct ast_expr {
  ast_kind kind;
  syn_span span; /* whole expression */
  unsigned height; /* nodes on the longest path down to a leaf (1 for a leaf);
                      at most SYN_MAX_NESTING, so recursive walks are bounded */
  union {
    struct { double value; const ast_unit *unit; } num;      /* unit NULL if none */
    struct { const char *id; } name;                          /* includes "t" */
    struct { ast_op op; ast_expr *a; } unary;
    struct { ast_op op; ast_expr *a, *b; } binary;
    struct { const char *fn; syn_span fn_span; ast_expr **args; size_t nargs; } call;
  } u;
};

typedef enum ast_decl_kind {
  DECL_MODEL,        /* model "title"                 -> text */
  DECL_TIME_UNIT,    /* time unit SYMBOL              -> text (symbol), text_span */
  DECL_IMPORT,       /* import "path"                 -> text (path as written), text_span */
  DECL_COMPARTMENT,  /* compartment NAME = expr [desc] [source "…"] */
  DECL_PARAM,        /* param NAME = expr [desc] [source "…"] */
  DECL_STATE,        /* state NAME [in COMP] = expr [atol NUMBER [UNIT]] [desc] [source "…"] */
  DECL_LET,          /* let NAME = expr [desc] [source "…"] */
  DECL_DDT,          /* d/dt NAME = expr */
  DECL_OUTPUT,       /* output NAME = expr [desc] [source "…"] */
  DECL_ROUTE,        /* route NAME -> TARGET [scale expr] [desc]  -> target, value = scale or NULL */
  DECL_PRESET,       /* preset NAME { NAME = expr ; … }            -> assigns */
  DECL_JOINTS,       /* joints A B C …                            -> names */
  DECL_EVENT         /* event NAME when COND [options] { NAME = expr ; … }
                        -> value = COND, delay, priority, event_flags, assigns */
} ast_decl_kind;

/* The options of an event (docs/language.md §12), as bits of event_flags. */
enum {
  AST_EVENT_TRANSIENT = 1,     /* `transient`: a pending execution is cancelled when the
                                  condition turns false first (SBML persistent="false") */
  AST_EVENT_INITIALLY_FALSE = 2, /* `initially false`: a condition true at the start fires */
  AST_EVENT_AT_EXECUTION = 4   /* `values at execution`: right-hand sides evaluated when the
                                  assignments are applied, not at the trigger */
};

/* One `NAME = expr` of a preset (NAME may be qualified: knee_R.severity). */
typedef struct ast_assign {
  const char *name;
  syn_span name_span;
  ast_expr *value;
} ast_assign;

typedef struct ast_decl {
  ast_decl_kind kind;
  syn_span span;          /* the keyword (for "declared here" notes) */
  const char *name;       /* NULL for MODEL, TIME_UNIT, IMPORT */
  syn_span name_span;
  ast_expr *value;        /* NULL for MODEL, TIME_UNIT, IMPORT */
  const char *compartment;/* STATE ... in COMP; NULL otherwise */
  syn_span compartment_span;
  ast_expr *atol;         /* STATE ... atol 1e-3 cells: a positive number literal; NULL if none */
  const char *text;       /* MODEL title, TIME_UNIT symbol, IMPORT path */
  syn_span text_span;
  const char *description;/* NULL if none */
  const char *source;     /* NULL if none */
  int per_joint;          /* 1 when declared inside `per joint { … }` */
  const char *target;     /* ROUTE: the state that receives doses */
  syn_span target_span;
  ast_assign *assigns;    /* PRESET, EVENT: its assignments */
  size_t nassigns;
  const char **names;     /* JOINTS: the joint names, in order */
  syn_span *name_spans;
  size_t nnames;
  ast_expr *delay;        /* EVENT: `delay EXPR`, or NULL */
  ast_expr *priority;     /* EVENT: `priority EXPR`, or NULL */
  unsigned event_flags;   /* EVENT: AST_EVENT_* bits */
} ast_decl;

/* `atol NAME = A [UNIT]` in a scenario or sweep file: one state's absolute
 * tolerance over the model's (resolved by src/scenario/, syn_state_atol). */
typedef struct ast_state_atol {
  const char *name;         /* possibly qualified: knee_R.MSC */
  syn_span name_span;
  ast_expr *value;          /* AST_NUM, optionally with a unit */
  syn_span span;            /* the `atol` keyword */
} ast_state_atol;

typedef struct ast_file {
  uint32_t file;          /* index in the source set */
  ast_decl *decls;
  size_t ndecls;
  const char *time_unit;  /* the file's `time unit`, or NULL */
  syn_span time_unit_span;
} ast_file;

/* A model and everything it imports, parsed. files[] is in dependency order:
 * every file comes after the files it imports, the root file last; a file
 * imported twice (a diamond) appears once. */
typedef struct syn_program {
  syn_srcset *sources;    /* owned */
  struct syn_arena *arena;/* owned: every AST node and string */
  ast_file *files;
  size_t nfiles;
} syn_program;

/* Limits that keep hostile input from exhausting the stack or memory. */
enum {
  SYN_MAX_NESTING = 256,  /* parenthesis/operator nesting depth in one expression */
  SYN_MAX_IMPORTS = 256,  /* files in one program */
  SYN_MAX_ARGS = 64       /* arguments to one function call */
};

/* Parse a model file and, recursively, its imports (paths relative to the
 * importing file). Errors: unreadable/missing file or import, import cycle,
 * any lexical or syntax error — the first one, located. On error *out is NULL. */
syn_status syn_program_parse_file(const char *path, syn_program **out, syn_error *err);

/* Same, from text in memory; `name` is used in messages and as the base for
 * relative imports (its directory; "." if it has none). */
syn_status syn_program_parse_text(const char *name, const char *text, size_t len,
                                  syn_program **out, syn_error *err);

void syn_program_destroy(syn_program *p); /* NULL allowed */

/* Operator spelling for messages and the AST printer ("+", "&&", unary "-"). */
const char *syn_op_name(ast_op op);

/* Print an expression in fully parenthesised prefix form, e.g.
 * "(+ a (* 2 [min] b))", for tests. Returns the bytes needed (snprintf rules). */
size_t syn_ast_print(const ast_expr *e, char *buf, size_t size);

#endif
