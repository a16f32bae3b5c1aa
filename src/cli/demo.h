/* synovia — the built-in demonstration: `synovia run` with no arguments runs
 * the knee OA scenario "IA versus IV versus no treatment" (examples/
 * knee_ia_vs_iv.scenario with models/knee_oa.model and its parts), embedded
 * in the program at build time (scripts/embed.sh), so it works from any
 * directory. The files are written to a private temporary folder under the
 * same relative paths, so the result file's provenance names them as in the
 * repository. */
#ifndef SYN_CLI_DEMO_H
#define SYN_CLI_DEMO_H

#include <stddef.h>

typedef struct cli_embedded_file {
  const char *path;          /* relative: "models/knee_oa.model" */
  const unsigned char *data; /* NUL-terminated copy of the bytes */
  size_t size;               /* bytes, without the NUL */
} cli_embedded_file;

extern const cli_embedded_file cli_demo_files[];
extern const size_t cli_demo_file_count;

/* The scenario among the files, and the result file the demo writes. */
#define CLI_DEMO_SCENARIO "examples/knee_ia_vs_iv.scenario"
#define CLI_DEMO_OUTPUT "synovia-demo.h5"

#endif
