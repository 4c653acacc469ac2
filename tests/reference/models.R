# Reference numbers for the model-robustness tests of tests/core/test_stats.py (issue 19).
# Run ONCE from the repository root:
#   Rscript tests/reference/models.R > tests/reference/models.out 2>&1
# R 4.2.2, lme4 1.1-31 (Debian packages r-base-core r-cran-lme4).
# Writes tests/data/slopes-sim.csv (simulated here: soldiers-in-companies design, 99 groups,
# a random slope whose variance is small, so that statsmodels' default optimiser chain fails).
suppressPackageStartupMessages(library(lme4))
options(digits = 10, width = 120)
cat("R:", R.version.string, " lme4:", as.character(packageVersion("lme4")), "\n")

## 1. Simulated random slopes with a small slope variance ------------------------------------
set.seed(2)
G <- 99
n <- sample(20:130, G, replace = TRUE)
gm <- rnorm(G, 11.3, 0.8)
b0 <- rnorm(G, 0, 0.2); b1 <- rnorm(G, 0, 0.01)
rows <- lapply(1:G, function(g) {
  h <- round(gm[g] + rnorm(n[g], 0, 2.6), 1)
  data.frame(GRP = sprintf("c%03d", g), HRS = h,
             WBEING = round(3.9 + b0[g] + (-0.05 + b1[g]) * (h - 11.3) - 0.1 * (gm[g] - 11.3) +
                            rnorm(n[g], 0, 0.85), 3))
})
d <- do.call(rbind, rows)
d$G.HRS <- ave(d$HRS, d$GRP)
d$HRS.c <- d$HRS - d$G.HRS
write.csv(d, "tests/data/slopes-sim.csv", row.names = FALSE)
d <- read.csv("tests/data/slopes-sim.csv")  # the numbers below are those of the file as written
cat("\n== slopes-sim: n =", nrow(d), " groups =", length(unique(d$GRP)), "\n")
for (reml in c(TRUE, FALSE)) {
  m <- lmer(WBEING ~ HRS.c + G.HRS + (HRS.c | GRP), data = d, REML = reml)
  cat("\n-- REML =", reml, " isSingular =", isSingular(m), "\n")
  print(summary(m)$coefficients)
  print(as.data.frame(VarCorr(m)))
  cat("theta =", sprintf("%.10f", getME(m, "theta")), "\n")
  cat("deviance/REML criterion =", sprintf("%.6f", if (reml) REMLcrit(m) else deviance(m)), "\n")
}
# random intercept only (interior optimum)
m <- lmer(WBEING ~ HRS.c + G.HRS + (1 | GRP), data = d, REML = TRUE)
cat("\n-- random intercept, REML\n"); print(summary(m)$coefficients); print(as.data.frame(VarCorr(m)))
cat("REML criterion =", sprintf("%.6f", REMLcrit(m)), "\n")
# the same outcome in other units: t values unchanged
m4 <- lmer(I(WBEING * 1e-4) ~ HRS.c + G.HRS + (1 | GRP), data = d, REML = TRUE)
cat("\n-- random intercept, outcome * 1e-4\n"); print(summary(m4)$coefficients); print(as.data.frame(VarCorr(m4)))

## 2. sleepstudy, random intercept only --------------------------------------------------------
data(sleepstudy, package = "lme4")
m <- lmer(Reaction ~ Days + (1 | Subject), data = sleepstudy, REML = TRUE)
cat("\n== sleepstudy REML: Reaction ~ Days + (1 | Subject)\n")
print(summary(m)$coefficients); print(as.data.frame(VarCorr(m)))

## 3. FRA dispatchers: null model of 'mentally drained' by job schedule ------------------------
f <- read.csv("tests/data/fra-dispatchers.csv")
f <- f[!is.na(f$Mentally_Drained) & !is.na(f$job_schedule), ]
m0 <- lmer(Mentally_Drained ~ 1 + (1 | job_schedule), data = f, REML = TRUE)
vc <- as.data.frame(VarCorr(m0))
cat("\n== FRA null model: Mentally_Drained ~ 1 + (1 | job_schedule), n =", nrow(f), "\n")
print(summary(m0)$coefficients); print(vc)
cat("ICC =", sprintf("%.8f", vc$vcov[1] / sum(vc$vcov)), " isSingular =", isSingular(m0), "\n")
