/* synovia — stiff20, by hand: the 24-state stiff cytokine cascade of
 * tests/bench/stiff20.model written as C (right-hand side and dense Jacobian),
 * the yardstick the bench programs (bench.c, interp.c) hold the interpreter
 * against. */
#ifndef SYN_BENCH_STIFF20_H
#define SYN_BENCH_STIFF20_H

#include <string.h>

enum { STIFF20_N = 24 };

/* State layout: 0 S, 1 Inh, 2..11 C1..C10, 12..17 R1..R6, 18..23 B1..B6. */
#define IS 0
#define II 1
#define IC(i) (1 + (i))  /* i = 1..10 */
#define IR(i) (11 + (i)) /* i = 1..6 */
#define IB(i) (17 + (i)) /* i = 1..6 */

static const char *const stiff20_names[STIFF20_N] = {
    "S",  "Inh", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10",
    "R1", "R2",  "R3", "R4", "R5", "R6", "B1", "B2", "B3", "B4", "B5", "B6"};

static const double k_S = 0.05, K_S = 1.0, K_B = 1e-3, K_C = 1.0, K_I = 2.0, s_I = 0.5,
                    K_I10 = 1.0, k_Iu = 0.1, kon = 50.0, koff = 5.0, k_int = 0.5, k_syn = 0.2,
                    k_deg = 0.1;
static const double kc[11] = {0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 1000};

static double hill2(double x, double K) { return x * x / (K * K + x * x); }
static double dhill2(double x, double K) {
  double d = K * K + x * x;
  return 2.0 * x * K * K / (d * d);
}

/* The driver of cytokine i: S, then bound receptor B(i-1), then C(i-1). */
static int driver_index(int i) { return i == 1 ? IS : i <= 7 ? IB(i - 1) : IC(i - 1); }
static double driver_K(int i) { return i == 1 ? K_S : i <= 7 ? K_B : K_C; }

static int stiff20_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  double calm = K_I / (K_I + y[II]);
  f[IS] = -k_S * y[IS];
  f[II] = s_I * y[IC(10)] / (K_I10 + y[IC(10)]) - k_Iu * y[II];
  for (int i = 1; i <= 10; i++) {
    double s = 2.0 * kc[i];
    f[IC(i)] = s * hill2(y[driver_index(i)], driver_K(i)) * calm - kc[i] * y[IC(i)];
  }
  for (int i = 1; i <= 6; i++) {
    double bind = kon * y[IC(i)] * y[IR(i)] - koff * y[IB(i)];
    f[IC(i)] -= bind;
    f[IR(i)] = -bind + k_syn - k_deg * y[IR(i)];
    f[IB(i)] = bind - k_int * y[IB(i)];
  }
  return 0;
}

/* Dense Jacobian, column-major: jv[j*STIFF20_N + i] = d f_i / d y_j. */
#define J(i, j) jv[(size_t)(j) * STIFF20_N + (size_t)(i)]
static int stiff20_jac(double t, const double *y, double *jv, void *ctx) {
  (void)t, (void)ctx;
  memset(jv, 0, STIFF20_N * STIFF20_N * sizeof *jv);
  double I = y[II], calm = K_I / (K_I + I), dcalm = -K_I / ((K_I + I) * (K_I + I));
  J(IS, IS) = -k_S;
  J(II, IC(10)) = s_I * K_I10 / ((K_I10 + y[IC(10)]) * (K_I10 + y[IC(10)]));
  J(II, II) = -k_Iu;
  for (int i = 1; i <= 10; i++) {
    double s = 2.0 * kc[i];
    int d = driver_index(i);
    J(IC(i), d) += s * dhill2(y[d], driver_K(i)) * calm;
    J(IC(i), II) += s * hill2(y[d], driver_K(i)) * dcalm;
    J(IC(i), IC(i)) += -kc[i];
  }
  for (int i = 1; i <= 6; i++) {
    double C = y[IC(i)], R = y[IR(i)];
    J(IC(i), IC(i)) += -kon * R;
    J(IC(i), IR(i)) += -kon * C;
    J(IC(i), IB(i)) += koff;
    J(IR(i), IC(i)) = -kon * R;
    J(IR(i), IR(i)) = -kon * C - k_deg;
    J(IR(i), IB(i)) = koff;
    J(IB(i), IC(i)) = kon * R;
    J(IB(i), IR(i)) = kon * C;
    J(IB(i), IB(i)) = -koff - k_int;
  }
  return 0;
}
#undef J

#endif
