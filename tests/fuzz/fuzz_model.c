/* synovia — libFuzzer harness: arbitrary bytes as a model text.
 *
 * Parses the bytes as an in-memory model (imports resolve relative to the
 * current directory and normally fail) and destroys the result. Must never
 * crash, hang, leak or trip a sanitizer; every input either loads or gives
 * a located error with a non-empty message. Build: make build/fuzz/fuzz_model */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lang/ast.h"
#include "synovia/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  syn_program *prog = NULL;
  syn_error err;
  syn_error_clear(&err);
  syn_status st = syn_program_parse_text("fuzz.model", (const char *)data, size, &prog, &err);
  if ((st == SYN_OK) != (prog != NULL)) abort();
  if (st != SYN_OK && err.message[0] == 0) abort();
  char out[4096];
  syn_error_format(&err, out, sizeof out);
  syn_program_destroy(prog);
  return 0;
}
