# Reference numbers for tests/core/test_psychometrics.py and tests/core/test_stats.py.
# Run ONCE from the repository root:
#   Rscript tests/reference/reference.R > tests/reference/reference.out 2>&1
# R 4.2.2, psych 2.2.9, lme4 1.1-31 (Debian packages r-base-core r-cran-psych r-cran-lme4).
# Writes tests/data/sleepstudy.csv (lme4) and tests/data/pools-sim.csv (simulated here).
suppressPackageStartupMessages({library(psych); library(lme4)})
options(digits = 10, width = 120)
cat("R:", R.version.string, " psych:", as.character(packageVersion("psych")),
    " lme4:", as.character(packageVersion("lme4")), "\n")

## 1. FRA dispatchers: 14 work-stressor items, complete cases ----------------------------------
d <- read.csv("tests/data/fra-dispatchers.csv")
items <- c("Emergencies", "Lack_of_control", "Sleep_loss", "Coord_other_depts", "Job_pressure",
           "Scanty_Rules", "Mgmt_policies", "Job_Security", "Surges_in_work", "Communication",
           "Inadeq_Staff", "Resp_for_others_safety", "BreakTime", "TimeOff")
x <- na.omit(d[, items])
cat("\n== FRA stressors: n complete =", nrow(x), " k =", ncol(x), "\n")
a <- alpha(x)
cat("raw_alpha =", sprintf("%.10f", a$total$raw_alpha), "\n")
cat("std.alpha =", sprintf("%.10f", a$total$std.alpha), "\n")
ci <- alpha.ci(a$total$raw_alpha, n.obs = nrow(x), n.var = ncol(x), p.val = .05, digits = 10)
cat(sprintf("Feldt 95%% CI: lower %.10f  alpha %.10f  upper %.10f\n", ci$lower.ci, ci$alpha, ci$upper.ci))
cat("r.drop (corrected item-total):\n"); print(a$item.stats[, "r.drop", drop = FALSE])
cat("alpha if dropped:\n"); print(a$alpha.drop[, "raw_alpha", drop = FALSE])
f <- fa(x, nfactors = 1, fm = "ml")
lam <- as.numeric(f$loadings[, 1]); psi <- as.numeric(f$uniquenesses)
cat("loadings:\n"); print(setNames(lam, items))
cat("uniquenesses:\n"); print(setNames(psi, items))
omega_t <- sum(lam)^2 / (sum(lam)^2 + sum(psi))
cat("omega_total =", sprintf("%.10f", omega_t), "\n")
cat("fa objective =", f$objective, " STATISTIC =", f$STATISTIC, "\n")
cat("missing per item (all 443 rows):\n"); print(colSums(is.na(d[, items])))

## 2. sleepstudy (Belenky et al. 2003), from lme4 ------------------------------------------------
data(sleepstudy, package = "lme4")
write.csv(sleepstudy, "tests/data/sleepstudy.csv", row.names = FALSE)
m1 <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = TRUE)
cat("\n== sleepstudy REML: Reaction ~ Days + (Days | Subject)\n")
print(summary(m1)$coefficients)
print(as.data.frame(VarCorr(m1)))
cat("REML criterion =", sprintf("%.6f", -2 * as.numeric(logLik(m1))), "\n")
m1ml <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)
cat("\n== sleepstudy ML\n")
print(summary(m1ml)$coefficients)
print(as.data.frame(VarCorr(m1ml)))
cat("logLik =", sprintf("%.6f", as.numeric(logLik(m1ml))), " AIC =", sprintf("%.6f", AIC(m1ml)),
    " BIC =", sprintf("%.6f", BIC(m1ml)), "\n")

## 3. Simulated unit pools: random intercept, group-level shift pattern and feature -------------
set.seed(20261129)
G <- 40
pool <- sprintf("pool%02d", 1:G)
pattern <- rep(c("day", "rotating", "night"), length.out = G)
night_share <- round(runif(G, 0, 0.6), 3)
u <- rnorm(G, 0, 4)
rows <- list()
for (g in 1:G) for (w in c("w1", "w2")) {
  n <- sample(6:14, 1)
  mu <- 50 + c(day = 0, rotating = 3, night = 6)[pattern[g]] + 10 * night_share[g] +
        ifelse(w == "w2", 2, 0) + u[g]
  rows[[length(rows) + 1]] <- data.frame(pool = pool[g], wave = w, shift_pattern = pattern[g],
    night_share = night_share[g], score = round(mu + rnorm(n, 0, 10), 2))
}
sim <- do.call(rbind, rows)
write.csv(sim, "tests/data/pools-sim.csv", row.names = FALSE)
sim$shift_pattern <- factor(sim$shift_pattern, levels = c("day", "night", "rotating"))
cat("\n== pools-sim: n =", nrow(sim), " groups =", length(unique(sim$pool)), "\n")
m2 <- lmer(score ~ shift_pattern + night_share + wave + (1 | pool), data = sim, REML = TRUE)
print(summary(m2)$coefficients)
print(as.data.frame(VarCorr(m2)))
# estimated marginal means per shift pattern: night_share at its mean over rows, wave equally weighted
b <- fixef(m2); V <- as.matrix(vcov(m2))
for (lev in levels(sim$shift_pattern)) {
  L <- c(1, lev == "night", lev == "rotating", mean(sim$night_share), 0.5)
  est <- sum(L * b); se <- sqrt(drop(t(L) %*% V %*% L))
  cat(sprintf("emm %-9s %.8f  se %.8f\n", lev, est, se))
}
m0 <- lmer(score ~ 1 + (1 | pool), data = sim, REML = TRUE)
vc0 <- as.data.frame(VarCorr(m0))
cat("null model variances:\n"); print(vc0)
cat("ICC =", sprintf("%.8f", vc0$vcov[1] / sum(vc0$vcov)), "\n")
m2ml <- lmer(score ~ shift_pattern + night_share + wave + (1 | pool), data = sim, REML = FALSE)
cat("ML logLik =", sprintf("%.6f", as.numeric(logLik(m2ml))), " AIC =", sprintf("%.6f", AIC(m2ml)), "\n")
print(summary(m2ml)$coefficients)

## 4. Multiple comparisons -----------------------------------------------------------------------
p <- c(0.001, 0.008, 0.012, 0.030, 0.041, 0.20, 0.74)
cat("\n== p.adjust on", p, "\n")
cat("holm:", sprintf("%.10f", p.adjust(p, "holm")), "\n")
cat("BH:  ", sprintf("%.10f", p.adjust(p, "BH")), "\n")
