/* synovia report FILE -o report.html — one self-contained HTML page.
 *
 * The page holds everything itself, so it opens from a disk, a mail or a
 * course site in any browser without a server: the figures are SVG drawn by
 * scripts/synovia-plot and embedded as data: URIs, the tables are the
 * summary's (summary.c, the same cli_doc `synovia summary` prints), the
 * input texts (model, scenario, sweep) are copied from the file's
 * /provenance, and the style sheet is inline. No script, no external link.
 * A fit file (syn_h5fit_probe) gets its summary (estimates, fit quality,
 * waterfall) and the figures of its data and fits, starts and profiles; a run
 * file with sensitivities gets, besides its arms over time, the normalised
 * sensitivities of each arm that has them.
 *
 * The plotting script is found, in order: --plot PATH, $SYNOVIA_PLOT, next
 * to the program (an installed bin/), or two levels up in scripts/ (the
 * build tree build/release/synovia), else on PATH. A figure that cannot be
 * drawn is an error (the page would be missing what it promises) unless
 * --no-figures is given. The page is written to OUT.tmp and renamed; OUT
 * must be a new or a regular file, not the result file read (checked first,
 * with the input, which must not be a FIFO or a device). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "summary.h"
#include "synovia/h5fit.h"

extern char **environ;

static const char report_help[] =
    "usage: synovia report FILE.h5 [-o REPORT.html] [--title T] [--no-figures]\n"
    "                      [--plot PATH]\n"
    "\n"
    "Writes one self-contained HTML page about a result file (a run, a sweep or\n"
    "a fit): its figures (drawn by scripts/synovia-plot, embedded as SVG), the\n"
    "tables of `synovia summary`, the full text of the model, scenario and\n"
    "sweep files it was made from, and its provenance. The page needs no server\n"
    "and no network: open it in any browser, mail it, print it.\n"
    "\n"
    "  -o REPORT.html  the page (default: FILE with .html instead of .h5);\n"
    "                  -o - writes it to standard output (and nothing else there);\n"
    "                  an existing REPORT.html must be a regular file, not FILE\n"
    "  --title T       the page's title (default: the model's title)\n"
    "  --no-figures    tables and texts only (no Python needed)\n"
    "  --plot PATH     the synovia-plot script to use (default: $SYNOVIA_PLOT,\n"
    "                  then next to this program, then scripts/ of the source tree,\n"
    "                  then PATH)\n"
    "Figures: a run file gets the arms compared over time (every page of it, when\n"
    "it has more than 12 panels) and the normalised sensitivities of each arm\n"
    "that has them; a sweep file gets its Sobol or Morris indices (when\n"
    "computed), the metrics' distributions by arm, and a metric against each\n"
    "parameter; a fit file gets its data against the fitted curves, the\n"
    "waterfall of its starts and its profiles (when computed).\n"
    "Exit status: 0, 1 (the file cannot be read or a figure cannot be drawn),\n"
    "2 (usage).\n";

typedef struct report_args {
  const char *path, *out, *title, *plot;
  int no_figures;
} report_args;

typedef struct figure {
  const char *show;     /* synovia-plot --show (NULL: the default of the file's kind) */
  const char *sens_arm; /* --sensitivities log --arm A (NULL: not a sensitivity figure) */
  const char *caption;  /* followed by the arm's name for a sensitivity figure */
  const char *absent;   /* the script's error when the file has nothing for it: the
                           figure is left out (NULL: every failure is an error) */
} figure;

static const figure run_figure = {
    NULL, NULL, "The arms compared over time: one colour per arm, doses marked on the time axis.",
    NULL};
static const figure sens_figure = {
    NULL, NULL, "Normalised sensitivities d ln y / d ln p, one panel per series, one line per "
    "parameter, of arm ", NULL};
static const figure sweep_figures[] = {
    {"indices", NULL, "Sensitivity indices: which parameters drive each metric.",
     "has no sensitivity indices"},
    {"distributions", NULL, "Each metric's distribution across the samples, by arm.", NULL},
    {"scatter", NULL, "A metric against each parameter, one point per sample.", NULL},
};
static const figure fit_figures[] = {
    {"data", NULL, "The data (error bars: their sd) against the fitted curves at the best "
     "estimate, per arm and observable.", NULL},
    {"waterfall", NULL, "The waterfall: every start's final objective, ranked, as its distance "
     "to the best.", NULL},
    {"profiles", NULL, "Profile likelihoods: the objective with each parameter held fixed and "
     "the others re-optimised, the threshold, the interval and the identifiability class.",
     "has no profiles"},
};

/* A figure of more than 12 panels comes in pages (synovia-plot --page K);
 * the report shows at most this many pages of one figure, and at most
 * MAX_FIGURES figures (a run's own, then sensitivity figures of its arms). */
enum { MAX_PAGES = 16, MAX_FIGURES = 16 };

/* tmpdir/name; 0 when it does not fit (mkdtemp's names are short). */
static int temp_path(char *buf, size_t size, const char *tmpdir, const char *name) {
  size_t a = strlen(tmpdir), b = strlen(name);
  if (a + 1 + b >= size) return 0;
  memcpy(buf, tmpdir, a);
  buf[a] = '/';
  memcpy(buf + a + 1, name, b + 1);
  return 1;
}

/* tmpdir/figure-I-P.svg: page P (1-based) of figure I. */
static int figure_path(char *buf, size_t size, const char *tmpdir, size_t i, int page) {
  int n = snprintf(buf, size, "%s/figure-%zu-%d.svg", tmpdir, i, page);
  return n >= 0 && (size_t)n < size;
}

/* ---- finding and running the plotting script --------------------------------------- */

static int is_executable(const char *p) { return access(p, X_OK) == 0; }

/* The folder of this program (from /proc/self/exe, else argv[0]). */
static void program_dir(const char *argv0, char *dir, size_t size) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    exe[n] = 0;
  else
    snprintf(exe, sizeof exe, "%s", strchr(argv0, '/') ? argv0 : "./synovia");
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  snprintf(dir, size, "%.*s", (int)(size - 1), exe);
}

static int find_plot(const char *argv0, const char *given, char *out, size_t size) {
  const char *env = getenv("SYNOVIA_PLOT");
  if (given) {
    snprintf(out, size, "%s", given);
    return is_executable(out);
  }
  if (env && env[0]) {
    snprintf(out, size, "%s", env);
    return is_executable(out);
  }
  char dir[PATH_MAX - 64]; /* room for the script's name after it */
  program_dir(argv0, dir, sizeof dir);
  snprintf(out, size, "%s/synovia-plot", dir);
  if (is_executable(out)) return 1;
  snprintf(out, size, "%s/../../scripts/synovia-plot", dir);
  if (is_executable(out)) return 1;
  const char *path = getenv("PATH");
  while (path && *path) {
    const char *end = strchr(path, ':');
    size_t len = end ? (size_t)(end - path) : strlen(path);
    snprintf(out, size, "%.*s/synovia-plot", (int)len, path);
    if (len && is_executable(out)) return 1;
    path = end ? end + 1 : NULL;
  }
  snprintf(out, size, "synovia-plot");
  return 0;
}

/* The last non-empty line of a small file (the script's error), or "". */
static void last_line(const char *file, char *buf, size_t size) {
  FILE *f = fopen(file, "r");
  char line[1024];
  buf[0] = 0;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (line[0]) snprintf(buf, size, "%s", line);
  }
  if (f) fclose(f);
}

/* The files a run of the script writes its output and its errors to. */
typedef struct plot_io {
  char out[PATH_MAX], err[PATH_MAX];
} plot_io;

/* Runs `plot FILE [--show S] [--sensitivities log --arm A] --page P -o svg`,
 * its output and errors into io's files. 1 when it succeeded and wrote the
 * figure. */
static int draw(const char *plot, const char *file, const figure *fig, int page, const char *svg,
                const plot_io *io) {
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int status = 0, ok = 0;
  char page_text[16];
  const char *argv[14];
  int n = 0;
  snprintf(page_text, sizeof page_text, "%d", page);
  argv[n++] = plot;
  argv[n++] = file;
  if (fig->show) {
    argv[n++] = "--show";
    argv[n++] = fig->show;
  }
  if (fig->sens_arm) {
    argv[n++] = "--sensitivities";
    argv[n++] = "log";
    argv[n++] = "--arm";
    argv[n++] = fig->sens_arm;
  }
  argv[n++] = "--page";
  argv[n++] = page_text;
  argv[n++] = "-o";
  argv[n++] = svg;
  argv[n] = NULL;
  if (posix_spawn_file_actions_init(&fa) != 0) return 0;
  if (posix_spawn_file_actions_addopen(&fa, 1, io->out, O_WRONLY | O_CREAT | O_TRUNC, 0600) ==
          0 &&
      posix_spawn_file_actions_addopen(&fa, 2, io->err, O_WRONLY | O_CREAT | O_TRUNC, 0600) ==
          0 &&
      posix_spawn(&pid, plot, &fa, NULL, (char *const *)argv, environ) == 0 &&
      waitpid(pid, &status, 0) == pid)
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && access(svg, R_OK) == 0;
  posix_spawn_file_actions_destroy(&fa);
  return ok;
}

/* N from the script's "wrote … , page 1 of N)"; 1 when the figure has one page. */
static int page_count(const char *outfile) {
  char line[1024];
  int pages = 1;
  last_line(outfile, line, sizeof line);
  const char *p = strstr(line, ", page 1 of ");
  if (p && sscanf(p, ", page 1 of %d)", &pages) != 1) pages = 1;
  return pages < 1 ? 1 : pages > MAX_PAGES ? MAX_PAGES : pages;
}

/* ---- writing the page ---------------------------------------------------------------- */

static void base64_file(FILE *out, FILE *in) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char b[3];
  size_t n;
  while ((n = fread(b, 1, 3, in)) > 0) {
    unsigned v = (unsigned)b[0] << 16 | (n > 1 ? (unsigned)b[1] << 8 : 0) | (n > 2 ? b[2] : 0);
    fputc(digits[v >> 18 & 63], out);
    fputc(digits[v >> 12 & 63], out);
    fputc(n > 1 ? digits[v >> 6 & 63] : '=', out);
    fputc(n > 2 ? digits[v & 63] : '=', out);
  }
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "max-width:72rem;margin:2rem auto;padding:0 1.5rem;color:#1d2327;line-height:1.45}\n"
    "h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;"
    "border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\n"
    ".sub{color:#57606a;margin-top:0}.disclaimer{background:#f6f8fa;border-left:4px solid #8c959f;"
    "padding:.5rem .8rem;font-size:.9rem}\n"
    "nav ul{font-size:.95rem;padding-left:1.2rem}\n"
    "figure{margin:1.5rem 0;text-align:center}figure img{max-width:100%;height:auto;"
    "border:1px solid #eaeef2}figcaption{font-size:.9rem;color:#57606a}\n"
    "table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;"
    "border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}th{background:#f6f8fa}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;margin:.8rem 0}"
    "dl.facts dt{font-weight:600}dl.facts dd{margin:0;word-break:break-word}\n"
    "pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;font-size:.82rem;line-height:1.35}\n"
    "details{margin:.6rem 0}summary{cursor:pointer;font-family:monospace}\n"
    ".note{color:#57606a}footer{margin-top:3rem;font-size:.85rem;color:#57606a}\n"
    "@media print{nav{display:none}details{display:block}pre{white-space:pre-wrap}}\n";

typedef struct sources {
  size_t n;
  const char *const *paths, *const *texts;
  const char *title;
} sources;

static void page_head(FILE *out, const char *title, const char *path) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
        out);
  cli_html_escape(out, title);
  fputs(" — synovia report</title>\n<meta name=\"generator\" content=\"synovia ", out);
  cli_html_escape(out, syn_version());
  fprintf(out, "\">\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
  cli_html_escape(out, title);
  fputs("</h1>\n<p class=\"sub\">A synovia report of <code>", out);
  cli_html_escape(out, path);
  fputs("</code></p>\n<p class=\"disclaimer\">synovia is a research and teaching tool. The "
        "model expresses hypotheses about the cytokine network of a joint; nothing here is "
        "medical advice or a claim of therapeutic benefit.</p>\n</header>\n",
        out);
}

static void page_nav(FILE *out, int figures, const sources *src) {
  fputs("<nav><ul>\n", out);
  if (figures) fputs("<li><a href=\"#figures\">Figures</a></li>\n", out);
  fputs("<li><a href=\"#summary\">Summary and tables</a></li>\n", out);
  if (src->n) fputs("<li><a href=\"#inputs\">Model, scenario and sweep texts</a></li>\n", out);
  fputs("</ul></nav>\n", out);
}

/* A figure's caption, escaped: its text, the arm of a sensitivity figure
 * (of any length), and which page when there are several. */
static void print_caption(FILE *out, const figure *fig, int page, int pages) {
  cli_html_escape(out, fig->caption);
  if (fig->sens_arm) {
    fputs("&quot;", out);
    cli_html_escape(out, fig->sens_arm);
    fputs("&quot;.", out);
  }
  if (pages > 1) fprintf(out, " (page %d of %d)", page, pages);
}

/* One page of a figure; the caption says which page when there are several. */
static int page_figure(FILE *out, const char *svg, const figure *fig, int page, int pages) {
  FILE *in = fopen(svg, "rb");
  if (in == NULL) return 0;
  fputs("<figure>\n<img alt=\"", out);
  print_caption(out, fig, page, pages);
  fputs("\" src=\"data:image/svg+xml;base64,", out);
  base64_file(out, in);
  fclose(in);
  fputs("\">\n<figcaption>", out);
  print_caption(out, fig, page, pages);
  fputs("</figcaption>\n</figure>\n", out);
  return 1;
}

static void page_sources(FILE *out, const sources *src) {
  if (src->n == 0) return;
  fputs("<section id=\"inputs\">\n<h2>Model, scenario and sweep texts</h2>\n<p>The files the "
        "result was made from, as they were when it was made (kept in the result file's "
        "<code>/provenance</code>).</p>\n",
        out);
  for (size_t i = 0; i < src->n; i++) {
    fprintf(out, "<details%s>\n<summary>", i < 2 ? " open" : "");
    cli_html_escape(out, src->paths[i]);
    fputs("</summary>\n<pre>", out);
    cli_html_escape(out, src->texts[i]);
    fputs("</pre>\n</details>\n", out);
  }
  fputs("</section>\n", out);
}

/* ---- the command --------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, report_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *v;
    int got;
    if ((got = cli_take_value(argc, argv, &i, "-o", "report", &v)) != 0) {
      if (got < 0) return 0;
      a->out = v;
    } else if ((got = cli_take_value(argc, argv, &i, "--title", "report", &v)) != 0) {
      if (got < 0) return 0;
      a->title = v;
    } else if ((got = cli_take_value(argc, argv, &i, "--plot", "report", &v)) != 0) {
      if (got < 0) return 0;
      a->plot = v;
    } else if (strcmp(argv[i], "--no-figures") == 0) {
      a->no_figures = 1;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("report", "unknown option '%s'", argv[i]);
      return 0;
    } else if (a->path) {
      cli_usage_error("report", "one file at a time ('%s' and '%s')", a->path, argv[i]);
      return 0;
    } else {
      a->path = argv[i];
    }
  }
  if (a->path == NULL) {
    cli_usage_error("report", "which file? (synovia report FILE.h5 -o report.html)");
    return 0;
  }
  return 1;
}

/* "dir/x.h5" -> "x.html" in the current directory; caller frees. */
static char *default_out(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 3 && strcmp(base + n - 3, ".h5") == 0) n -= 3;
  char *out = malloc(n + 6);
  if (out) snprintf(out, n + 6, "%.*s.html", (int)n, base);
  return out;
}

/* The provenance texts and title, read with the file's own reader. */
typedef struct opened {
  syn_h5_reader *run;
  syn_h5sweep_reader *sweep;
} opened;

static syn_status open_sources(const char *path, syn_h5_kind kind, opened *o, sources *src,
                               syn_error *err) {
  syn_status st;
  if (kind == SYN_H5_SWEEP) {
    st = syn_h5sweep_open(path, &o->sweep, err);
    if (st != SYN_OK) return st;
    const syn_provenance *p = syn_h5sweep_reader_spec(o->sweep)->prov;
    if (p) *src = (sources){p->nfiles, p->file_paths, p->file_texts, p->title ? p->title : ""};
    return SYN_OK;
  }
  st = syn_h5_open(path, &o->run, err);
  if (st != SYN_OK) return st;
  const syn_h5_file_info *f = syn_h5_reader_file(o->run);
  *src = (sources){f->nfiles, f->file_paths, f->file_texts, f->title};
  return SYN_OK;
}

/* Draws the figures into tmpdir, every page of each; pages[i] gets the
 * number drawn of figure i (0: none). 0 (message printed) when one fails. */
static int draw_figures(const report_args *a, const char *argv0, const figure *figs, size_t n,
                        const char *tmpdir, int *pages) {
  char plot[PATH_MAX], svg[PATH_MAX], why[1024];
  plot_io io;
  if (!find_plot(argv0, a->plot, plot, sizeof plot)) {
    fprintf(stderr,
            "synovia: error: cannot draw the figures: no executable '%s' (give --plot PATH, set "
            "SYNOVIA_PLOT, or pass --no-figures for a report without figures)\n",
            plot);
    return 0;
  }
  temp_path(io.err, sizeof io.err, tmpdir, "plot.err");
  temp_path(io.out, sizeof io.out, tmpdir, "plot.out");
  for (size_t i = 0; i < n; i++) {
    int page = 1, last = 1;
    for (; page <= last; page++) {
      figure_path(svg, sizeof svg, tmpdir, i, page);
      if (!draw(plot, a->path, &figs[i], page, svg, &io)) break;
      if (page == 1) last = page_count(io.out);
      pages[i] = page;
    }
    if (page > last) continue;
    last_line(io.err, why, sizeof why);
    /* A sweep without indices has no index figure, a fit without profiles no
     * profile figure: that one is skipped. */
    if (figs[i].absent && strstr(why, figs[i].absent)) continue;
    fprintf(stderr,
            "synovia: error: cannot draw the figure%s%s%s of '%s' with %s: %s\n  hint: "
            "synovia-plot needs /usr/bin/python3 with h5py and matplotlib (Debian: "
            "python3-h5py python3-matplotlib); --no-figures writes the report without "
            "figures\n",
            figs[i].show ? " --show " : "", figs[i].show ? figs[i].show : "",
            figs[i].sens_arm ? " --sensitivities log" : "", a->path, plot,
            why[0] ? why : "it failed");
    remove(io.err);
    remove(io.out);
    return 0;
  }
  remove(io.err);
  remove(io.out);
  return 1;
}

/* The page's HTML into out. */
static void print_page(FILE *out, const report_args *a, const cli_doc *doc, const sources *src,
                       const figure *figs, size_t nfigs, const int *pages, const char *tmpdir) {
  int any = 0;
  for (size_t i = 0; i < nfigs; i++) any |= pages[i] > 0;
  const char *title = a->title ? a->title : src->title && src->title[0] ? src->title : a->path;
  page_head(out, title, a->path);
  page_nav(out, any, src);
  if (any) {
    fputs("<section id=\"figures\">\n<h2>Figures</h2>\n", out);
    for (size_t i = 0; i < nfigs; i++)
      for (int page = 1; page <= pages[i]; page++) {
        char svg[PATH_MAX];
        if (figure_path(svg, sizeof svg, tmpdir, i, page) &&
            !page_figure(out, svg, &figs[i], page, pages[i]))
          fputs("<p class=\"note\">(a figure could not be read back)</p>\n", out);
      }
    fputs("</section>\n", out);
  }
  fputs("<section id=\"summary\">\n", out);
  cli_doc_print_html(out, doc);
  fputs("</section>\n", out);
  page_sources(out, src);
  time_t now = time(NULL);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  fprintf(out, "<footer>Made by synovia %s on %s with <code>synovia report</code>.</footer>\n"
               "</body>\n</html>\n", syn_version(), date);
}

/* The page to standard output ("-o -"): an HTML page is a stream. */
static int write_page_stdout(const report_args *a, const cli_doc *doc, const sources *src,
                             const figure *figs, size_t nfigs, const int *pages,
                             const char *tmpdir) {
  print_page(stdout, a, doc, src, figs, nfigs, pages, tmpdir);
  if (fflush(stdout) == 0 && !ferror(stdout)) return 1;
  fprintf(stderr, "synovia: error: cannot write the report to standard output: %s\n",
          strerror(errno));
  return 0;
}

/* The page to OUT.tmp, renamed to OUT when complete. */
static int write_page(const report_args *a, const char *out_path, const cli_doc *doc,
                      const sources *src, const figure *figs, size_t nfigs, const int *pages,
                      const char *tmpdir) {
  size_t tn = strlen(out_path) + 5;
  char *tmp = malloc(tn);
  if (tmp == NULL) return 0;
  snprintf(tmp, tn, "%s.tmp", out_path);
  FILE *out = cli_fopen_tmp(tmp);
  if (out == NULL) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", out_path, strerror(errno));
    free(tmp);
    return 0;
  }
  print_page(out, a, doc, src, figs, nfigs, pages, tmpdir);
  int ok = !ferror(out);
  if (fclose(out) != 0) ok = 0;
  if (ok && rename(tmp, out_path) != 0) ok = 0;
  if (!ok) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", out_path, strerror(errno));
    remove(tmp);
  }
  free(tmp);
  return ok;
}

static void remove_tmpdir(const char *tmpdir, size_t nfigs, const int *pages) {
  char svg[PATH_MAX];
  for (size_t i = 0; i < nfigs; i++)
    for (int page = 1; page <= pages[i] + 1 && page <= MAX_PAGES; page++)
      if (figure_path(svg, sizeof svg, tmpdir, i, page)) remove(svg);
  rmdir(tmpdir);
}

/* The figures of the file: a run's arms over time and the sensitivities of
 * each arm that has them; a sweep's or a fit's fixed list. Returns how many. */
static size_t plan_figures(int fit, syn_h5_kind kind, const syn_h5_reader *run, figure *figs) {
  const figure *fixed = fit ? fit_figures : sweep_figures;
  size_t n = fit ? sizeof fit_figures / sizeof fit_figures[0]
                 : sizeof sweep_figures / sizeof sweep_figures[0];
  if (fit || kind == SYN_H5_SWEEP) {
    memcpy(figs, fixed, n * sizeof *figs);
    return n;
  }
  n = 0;
  figs[n++] = run_figure;
  size_t narms = run ? syn_h5_reader_file(run)->narms : 0;
  for (size_t k = 0; k < narms && n < MAX_FIGURES; k++)
    if (syn_h5_reader_sens(run, k) != NULL) {
      figs[n] = sens_figure;
      figs[n++].sens_arm = syn_h5_reader_arm(run, k)->name;
    }
  return n;
}

/* A fit file has no reader of its provenance texts here: its page is titled
 * by the fit file it came from. */
static char *fit_title(const char *path) {
  syn_h5fit_file *f = NULL;
  syn_error err;
  char *title = NULL;
  if (syn_h5fit_read(path, &f, &err) == SYN_OK && f->fit_file[0]) {
    size_t n = strlen(f->fit_file) + sizeof "Fit of ";
    title = malloc(n);
    if (title) snprintf(title, n, "Fit of %s", f->fit_file);
  }
  syn_h5fit_file_destroy(f);
  return title;
}

int cmd_report(int argc, char **argv, const char *argv0) {
  report_args a = {0};
  for (int i = 0; i < argc; i++)
    if (cli_is_help(argv[i])) {
      fputs(report_help, stdout);
      return CLI_OK;
    }
  if (!parse_args(argc, argv, &a)) return CLI_USAGE;
  char *out_path = a.out ? NULL : default_out(a.path);
  const char *out = a.out ? a.out : out_path;
  cli_doc doc = {0};
  opened o = {0};
  sources src = {0};
  syn_error err;
  syn_h5_kind kind = SYN_H5_RUN;
  int pages[MAX_FIGURES] = {0}, rc = CLI_FAILED;
  char tmpdir[PATH_MAX] = "", *title = NULL;
  figure figs[MAX_FIGURES];
  size_t nfigs = 0;
  if (out == NULL) goto done;
  const char *inputs[2] = {a.path, a.plot};
  if (!cli_input_usable(a.path, "result file") ||
      (strcmp(out, "-") != 0 && !cli_output_usable(out, inputs, a.plot ? 2 : 1)))
    goto done;
  int fit = syn_h5fit_probe(a.path);
  /* summary_build takes a fit file only without asking its kind back */
  if (summary_build(a.path, &doc, fit ? NULL : &kind, &err) != SYN_OK ||
      (!fit && open_sources(a.path, kind, &o, &src, &err) != SYN_OK)) {
    cli_print_error(&err);
    goto done;
  }
  if (fit) src.title = title = fit_title(a.path);
  nfigs = plan_figures(fit, kind, o.run, figs);
  if (!a.no_figures) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/synovia-report.XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
      fprintf(stderr, "synovia: error: cannot make a temporary folder '%s': %s\n", tmpdir,
              strerror(errno));
      tmpdir[0] = 0;
      goto done;
    }
    if (!draw_figures(&a, argv0, figs, nfigs, tmpdir, pages)) goto done;
  }
  int to_stdout = strcmp(out, "-") == 0;
  if (to_stdout ? !write_page_stdout(&a, &doc, &src, figs, nfigs, pages, tmpdir)
                : !write_page(&a, out, &doc, &src, figs, nfigs, pages, tmpdir))
    goto done;
  size_t nd = 0;
  for (size_t i = 0; i < nfigs; i++) nd += (size_t)pages[i];
  if (!to_stdout) printf("wrote %s (%zu figure%s)\n", out, nd, nd == 1 ? "" : "s");
  rc = CLI_OK;
done:
  if (tmpdir[0]) remove_tmpdir(tmpdir, nfigs, pages);
  syn_h5_reader_destroy(o.run);
  syn_h5sweep_reader_destroy(o.sweep);
  cli_doc_free(&doc);
  free(title);
  free(out_path);
  return rc;
}
