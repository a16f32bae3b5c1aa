/* synovia — SUNDIALS message capture and version shims (solve layer; see
 * sun_compat.h). */
#include "solve/sun_compat.h"

#include <stdio.h>

#include <cvodes/cvodes.h>
#include <kinsol/kinsol.h>

#if SUNDIALS_VERSION_MAJOR >= 7
static void keep_msg(int line, const char *func, const char *file, const char *msg,
                     SUNErrCode code, void *data, SUNContext ctx) {
  (void)line, (void)func, (void)file, (void)code, (void)ctx;
  snprintf(data, SYN_SUN_MSG_MAX, "%s", msg != NULL ? msg : "");
}

/* 7.x: one handler stack per context (the context is the solver's own). */
static int capture(SUNContext ctx, char *buf) {
  SUNContext_ClearErrHandlers(ctx);
  return SUNContext_PushErrHandler(ctx, keep_msg, buf) == SUN_SUCCESS ? 0 : -1;
}

int syn_sun_capture_cvode(SUNContext ctx, void *mem, char *buf) {
  (void)mem;
  return capture(ctx, buf);
}

int syn_sun_capture_kinsol(SUNContext ctx, void *mem, char *buf) {
  (void)mem;
  return capture(ctx, buf);
}
#else
static void keep_msg(int code, const char *module, const char *function, char *msg,
                     void *data) {
  (void)code, (void)module, (void)function;
  snprintf(data, SYN_SUN_MSG_MAX, "%s", msg != NULL ? msg : "");
}

int syn_sun_capture_cvode(SUNContext ctx, void *mem, char *buf) {
  (void)ctx;
  return CVodeSetErrHandlerFn(mem, keep_msg, buf) == CV_SUCCESS ? 0 : -1;
}

int syn_sun_capture_kinsol(SUNContext ctx, void *mem, char *buf) {
  (void)ctx;
  return KINSetErrHandlerFn(mem, keep_msg, buf) == KIN_SUCCESS ? 0 : -1;
}
#endif
