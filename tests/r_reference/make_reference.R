# Reference numbers for isamm.outcomes, computed with R `survival` (and base R, MASS).
#
# Run from the repository root:   Rscript tests/r_reference/make_reference.R
# Writes tests/r_reference/*.json and *.csv, which are committed; the tests
# read them and never need R. Versions used are recorded in versions.json.
# Data: tests/data/{mgus2,mayo_myeloma,flchain}.csv, exported unchanged from
# survival 3.5-3 (see /work/shared/data/README.md of the project).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
  library(MASS)
})
out <- "tests/r_reference"
save <- function(x, name) write_json(x, file.path(out, name), auto_unbox = TRUE, digits = NA,
                                      pretty = TRUE, na = "null")
mgus2 <- read.csv("tests/data/mgus2.csv")
mayo <- read.csv("tests/data/mayo_myeloma.csv")
flchain <- read.csv("tests/data/flchain.csv")

save(list(R = R.version.string, survival = as.character(packageVersion("survival")),
          MASS = as.character(packageVersion("MASS")), pROC = as.character(packageVersion("pROC")), jsonlite = as.character(packageVersion("jsonlite"))),
     "versions.json")

# ---------------------------------------------------------------- Kaplan-Meier
km_ref <- function(fit, at) {
  q <- quantile(fit, 0.5)
  s <- summary(fit, times = at)
  strata <- if (is.null(fit$strata)) "all" else sub("^[^=]*=", "", names(fit$strata))
  sgroup <- if (is.null(s$strata)) rep("all", length(s$time)) else sub("^[^=]*=", "", as.character(s$strata))
  tab <- summary(fit)$table                                # what print(fit) shows
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  list(groups = strata, n = as.integer(tab[, "records"]), events = as.integer(tab[, "events"]),
       median = unname(as.numeric(q$quantile)), lower = unname(as.numeric(q$lower)),
       upper = unname(as.numeric(q$upper)), print_median = unname(tab[, "median"]),
       print_lower = unname(tab[, paste0(fit$conf.int, "LCL")]),
       print_upper = unname(tab[, paste0(fit$conf.int, "UCL")]),
       at = data.frame(group = sgroup, time = s$time, surv = s$surv, lower = s$lower, upper = s$upper,
                       n_risk = s$n.risk))
}
steps <- function(fit, file) {
  grp <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub("^[^=]*=", "", names(fit$strata)), fit$strata)
  write.csv(data.frame(group = grp, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
                       n_censor = fit$n.censor, surv = fit$surv, std_err = fit$std.err,
                       lower = fit$lower, upper = fit$upper),
            file.path(out, file), row.names = FALSE)
}
km <- list()
f <- survfit(Surv(futime, death) ~ 1, mgus2)               # months; conf.type = "log" is the default
km$mgus2_os <- km_ref(f, c(0, 12, 60, 120, 300, 500)); steps(f, "km_mgus2_os_steps.csv")
f <- survfit(Surv(futime, death) ~ sex, mgus2)
km$mgus2_os_sex <- km_ref(f, c(12, 60, 120)); steps(f, "km_mgus2_os_sex_steps.csv")
f <- survfit(Surv(futime, death) ~ sex, mgus2, conf.int = 0.90)
km$mgus2_os_sex_90 <- km_ref(f, c(12, 60, 120))
f <- survfit(Surv(ptime, pstat) ~ sex, mgus2)              # progression: medians not reached
km$mgus2_pfs_sex <- km_ref(f, c(60, 120))
f <- survfit(Surv(entry, futime, death) ~ 1, mayo)         # days; delayed entry
km$mayo_entry <- km_ref(f, c(30, 365, 1826)); steps(f, "km_mayo_entry_steps.csv")
mayo$era <- ifelse(mayo$year < 80, "early", "late")
f <- survfit(Surv(entry, futime, death) ~ era, mayo)
km$mayo_entry_era <- km_ref(f, c(365, 1826))
f <- survfit(Surv(futime, death) ~ flc.grp, flchain)      # days; ten groups
km$flchain_grp <- km_ref(f, c(1826, 3652))
# hand cases: median on a flat segment at exactly 0.5 (midpoint rule), and at the last point
f <- survfit(Surv(c(1, 2, 3, 4), c(1, 1, 1, 1)) ~ 1); km$hand_flat <- km_ref(f, c(2, 2.5))
f <- survfit(Surv(c(1, 2, 3, 4), c(1, 1, 0, 0)) ~ 1); km$hand_last <- km_ref(f, c(3))
# timefix (aeqSurv): 0.1 + 0.2 and 0.3, 0.7 + 0.1 and 0.8, 1.1 + 2.2 and 3.3 differ by one ulp, as
# times computed from dates do; R treats each pair as one time. timefix = FALSE shows that it matters.
tf <- data.frame(t = c(0.1 + 0.2, 0.3, 0.7 + 0.1, 0.8, 1.1 + 2.2, 3.3, 0.3, 2.5, 4, 1.5, 0.8, 2.5),
                 e = c(1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0), x = c(1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1))
f <- survfit(Surv(t, e) ~ 1, tf)
fx <- coxph(Surv(t, e) ~ x, tf)
km$timefix <- list(time = f$time, n_risk = f$n.risk, n_event = f$n.event, surv = f$surv,
                   n_times_without_timefix = length(survfit(Surv(t, e) ~ 1, tf, timefix = FALSE)$time),
                   cox_coef = unname(coef(fx)), cox_se = unname(sqrt(diag(vcov(fx)))),
                   cox_coef_without_timefix = unname(coef(coxph(Surv(t, e) ~ x, tf,
                                                                control = coxph.control(timefix = FALSE)))),
                   logrank_chisq = survdiff(Surv(t, e) ~ x, tf)$chisq)
save(km, "km.json")

# ---------------------------------------------------------------- log-rank
lr <- function(sd) list(chisq = sd$chisq, df = length(sd$n) - 1, p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE),
                        n = as.integer(sd$n), observed = as.numeric(if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs))
logrank <- list(
  mgus2_os_sex = lr(survdiff(Surv(futime, death) ~ sex, mgus2)),
  mgus2_pfs_sex = lr(survdiff(Surv(ptime, pstat) ~ sex, mgus2)),
  flchain_grp = lr(survdiff(Surv(futime, death) ~ flc.grp, flchain)),
  flchain_sex_strata_mgus = lr(survdiff(Surv(futime, death) ~ sex + strata(mgus), flchain))
)
# survdiff refuses (start, stop] data, so the two-group log-rank with delayed entry is written
# out by hand: risk set start < t <= stop, hypergeometric variance (as survdiff), checked
# against survdiff on right-censored data first.
lr_entry <- function(start, stop, event, g) {
  lev <- sort(unique(g)); O <- 0; E <- 0; V <- 0
  for (t in sort(unique(stop[event == 1]))) {
    risk <- start < t & stop >= t; n <- sum(risk); n1 <- sum(risk & g == lev[1])
    dead <- stop == t & event == 1; d <- sum(dead)
    O <- O + sum(dead & g == lev[1]); E <- E + d * n1 / n
    if (n > 1) V <- V + d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
  }
  (O - E)^2 / V
}
stopifnot(all.equal(lr_entry(rep(-1, nrow(mgus2)), mgus2$futime, mgus2$death, mgus2$sex),
                    logrank$mgus2_os_sex$chisq, tolerance = 1e-12))
x <- lr_entry(mayo$entry, mayo$futime, mayo$death, mayo$era)
logrank$mayo_entry_era <- list(chisq = x, df = 1, p = pchisq(x, 1, lower.tail = FALSE))
save(logrank, "logrank.json")

# ---------------------------------------------------------------- Cox
cox_ref <- function(fit) {
  s <- summary(fit)
  z <- cox.zph(fit)                                        # transform = "km" (default)
  list(n = fit$n, events = fit$nevent, dropped = length(fit$na.action),
       terms = rownames(s$coefficients), coef = unname(s$coefficients[, "coef"]),
       hr = unname(s$coefficients[, "exp(coef)"]), se = unname(s$coefficients[, "se(coef)"]),
       z = unname(s$coefficients[, "z"]), p = unname(s$coefficients[, "Pr(>|z|)"]),
       lower = unname(s$conf.int[, "lower .95"]), upper = unname(s$conf.int[, "upper .95"]),
       loglik = fit$loglik, concordance = unname(fit$concordance["concordance"]),
       concordance_se = unname(fit$concordance["std"]), concordance_counts = as.list(fit$concordance[1:5]),
       # summary() rounds the Wald statistic; take it from the fit
       wald = c(unname(fit$wald.test), length(fit$coefficients),
                pchisq(unname(fit$wald.test), length(fit$coefficients), lower.tail = FALSE)),
       lr = unname(s$logtest), score = unname(s$sctest),
       zph_terms = rownames(z$table), zph_chisq = unname(z$table[, "chisq"]),
       zph_df = unname(z$table[, "df"]), zph_p = unname(z$table[, "p"]))
}
flchain$flc.grp <- factor(flchain$flc.grp)
cox <- list(
  mgus2_os = cox_ref(coxph(Surv(futime, death) ~ age + sex + hgb + creat + mspike, mgus2)),
  mgus2_pfs = cox_ref(coxph(Surv(ptime, pstat) ~ age + sex + mspike, mgus2)),
  mgus2_os_strata = cox_ref(coxph(Surv(futime, death) ~ age + hgb + strata(sex), mgus2)),
  flchain_grp = cox_ref(coxph(Surv(futime, death) ~ age + sex + flc.grp, flchain)),
  mayo_entry = cox_ref(coxph(Surv(entry, futime, death) ~ year, mayo)),
  mgus2_breslow = cox_ref(coxph(Surv(futime, death) ~ age + sex, mgus2, ties = "breslow"))
)
# Level names as R prints them: a logical covariate (hgb_lo, NA where hgb is missing) is named
# hgb_loTRUE, and an integer-coded factor with missing cells (which pandas reads as float) mgrp2.
m2 <- mgus2
m2$hgb_lo <- m2$hgb < 12
m2$mgrp <- factor(findInterval(m2$mspike, c(0.5, 1.5)) + 1)
cox$mgus2_labels <- cox_ref(coxph(Surv(futime, death) ~ age + hgb_lo + mgrp, m2))
cox$mgus2_labels$mgrp_levels <- levels(m2$mgrp)
save(cox, "cox.json")

# ---------------------------------------------------------------- ROC / Youden (by hand, checked against pROC below)
# Thresholds are midpoints between adjacent distinct marker values (plus -Inf, Inf); "below"
# calls a subject positive when marker < cut. Youden J = sens + spec - 1, first maximum in
# ascending cut order (which.max), compared in integers (TP*N - FP*P) so that equal J's
# are equal. AUC by the Mann-Whitney rank formula (ties count 1/2).
roc_ref <- function(marker, outcome, direction) {
  ok <- !is.na(marker) & !is.na(outcome); m <- marker[ok]; y <- outcome[ok]
  v <- sort(unique(m)); cuts <- c(-Inf, (head(v, -1) + tail(v, -1)) / 2, Inf)
  sens <- spec <- jint <- numeric(length(cuts))
  for (k in seq_along(cuts)) {
    pos <- if (direction == "above") m > cuts[k] else m < cuts[k]
    tp <- sum(pos & y == 1); fp <- sum(pos & y == 0)
    sens[k] <- tp / sum(y == 1); spec[k] <- 1 - fp / sum(y == 0)
    jint[k] <- tp * sum(y == 0) - fp * sum(y == 1)
  }
  j <- sens + spec - 1; i <- which.max(jint)
  s <- if (direction == "above") m else -m
  n1 <- sum(y == 1); n0 <- sum(y == 0)
  auc <- (sum(rank(s)[y == 1]) - n1 * (n1 + 1) / 2) / (n1 * n0)
  list(n = sum(ok), n_dropped = sum(!ok), cutoff = cuts[i], youden_j = j[i], sensitivity = sens[i],
       specificity = spec[i], auc = auc, n_thresholds = length(cuts))
}
roc <- list(
  mgus2_hgb_death = roc_ref(mgus2$hgb, mgus2$death, "below"),
  mgus2_creat_death = roc_ref(mgus2$creat, mgus2$death, "above"),
  flchain_kappa_mgus = roc_ref(flchain$kappa, flchain$mgus, "below"),
  # an outcome with empty cells (every 10th id): those patients are left out, as a missing marker is
  mgus2_hgb_death_na = roc_ref(mgus2$hgb, ifelse(mgus2$id %% 10 == 0, NA, mgus2$death), "below")
)
# An independent check of roc_ref by pROC (Robin et al. 2011, BMC Bioinformatics 12:77), whose
# thresholds are the same midpoints: direction ">" = controls higher = low marker predicts (our "below").
proc_check <- function(r, marker, outcome, direction) {
  ok <- !is.na(marker) & !is.na(outcome)
  p <- pROC::roc(outcome[ok], marker[ok], direction = if (direction == "below") ">" else "<",
                 levels = c(0, 1), quiet = TRUE)
  b <- pROC::coords(p, "best", best.method = "youden", transpose = FALSE)
  stopifnot(nrow(b) == 1, all.equal(c(b$threshold, b$sensitivity, b$specificity, as.numeric(pROC::auc(p))),
                                    c(r$cutoff, r$sensitivity, r$specificity, r$auc), tolerance = 1e-12))
}
proc_check(roc$mgus2_hgb_death, mgus2$hgb, mgus2$death, "below")
proc_check(roc$mgus2_creat_death, mgus2$creat, mgus2$death, "above")
proc_check(roc$flchain_kappa_mgus, flchain$kappa, flchain$mgus, "below")
proc_check(roc$mgus2_hgb_death_na, mgus2$hgb, ifelse(mgus2$id %% 10 == 0, NA, mgus2$death), "below")
save(roc, "roc.json")

# ---------------------------------------------------------------- tests of tables and proportions
ft <- function(tab) { f <- fisher.test(tab); list(table = unclass(tab), p = f$p.value,
  odds_ratio = unname(f$estimate), ci = as.numeric(f$conf.int)) }
ct <- function(tab, correct = TRUE) { x <- suppressWarnings(chisq.test(tab, correct = correct))
  list(table = unclass(tab), chisq = unname(x$statistic), df = unname(x$parameter), p = x$p.value) }
bt <- function(k, n) { b <- binom.test(k, n); list(k = k, n = n, estimate = unname(b$estimate),
  ci = as.numeric(b$conf.int), p = b$p.value) }
tests <- list(
  fisher_sex_pstat = ft(table(mgus2$sex, mgus2$pstat)),
  fisher_tea = ft(matrix(c(3, 1, 1, 3), 2)),
  chisq_sex_pstat_yates = ct(table(mgus2$sex, mgus2$pstat)),
  chisq_sex_pstat_plain = ct(table(mgus2$sex, mgus2$pstat), correct = FALSE),
  chisq_grp_sex = ct(table(flchain$flc.grp, flchain$sex)),
  binom_orr_seed004 = bt(29, 51),    # seed 004: ORR 29/51 (56.9%)
  binom_zero = bt(0, 12), binom_all = bt(12, 12)
)
save(tests, "tests.json")

# ---------------------------------------------------------------- ordinal regression (MASS::polr)
mgus2$mspike_cat <- cut(mgus2$mspike, c(-Inf, 0.5, 1.5, Inf), labels = c("low", "mid", "high"),
                        ordered_result = TRUE)
# Tight optimiser tolerance (the default reltol 1e-8 leaves R's own estimates uncertain at ~1e-5), and
# age in decades: polr's standard errors come from optimHess with a fixed step of 1e-3, which on
# age in years (coefficient ~0.005, x ~70) is off by 1e-4 relative; in decades it is accurate.
mgus2$age10 <- mgus2$age / 10
po <- polr(mspike_cat ~ age10 + sex + hgb, data = mgus2, Hess = TRUE, control = list(reltol = 1e-14))
sp <- coef(summary(po))
ordinal <- list(n = nrow(po$model), n_dropped = length(po$na.action), terms = names(coef(po)),
                coef = unname(coef(po)), se = unname(sp[names(coef(po)), "Std. Error"]),
                zeta_names = names(po$zeta), zeta = unname(po$zeta), loglik = as.numeric(logLik(po)))
save(ordinal, "ordinal.json")

# ---------------------------------------------------------------- Table 1 ingredients
q <- function(x) unname(quantile(x, c(0.25, 0.5, 0.75), na.rm = TRUE))   # type 7
table1 <- list(
  age_by_sex = list(F = q(mgus2$age[mgus2$sex == "F"]), M = q(mgus2$age[mgus2$sex == "M"]),
                    all = q(mgus2$age), p = wilcox.test(age ~ sex, mgus2)$p.value),
  hgb_by_sex = list(F = q(mgus2$hgb[mgus2$sex == "F"]), M = q(mgus2$hgb[mgus2$sex == "M"]),
                    missing = sum(is.na(mgus2$hgb)), p = wilcox.test(hgb ~ sex, mgus2)$p.value),
  pstat_by_sex = list(counts = unclass(table(mgus2$pstat, mgus2$sex)),
                      p = fisher.test(table(mgus2$pstat, mgus2$sex))$p.value),
  age_by_grp = list(p = kruskal.test(age ~ flc.grp, flchain)$p.value,
                    stat = unname(kruskal.test(age ~ flc.grp, flchain)$statistic)),
  sex_by_grp = list(p = chisq.test(table(flchain$sex, flchain$flc.grp))$p.value),
  # small samples without ties: R's exact Wilcoxon test
  wilcox_small = list(x = c(1.1, 2.3, 3.5, 4.2, 5.9), y = c(2.0, 6.1, 7.7, 8.4),
                      p = wilcox.test(c(1.1, 2.3, 3.5, 4.2, 5.9), c(2.0, 6.1, 7.7, 8.4))$p.value)
)
save(table1, "table1.json")

# ---------------------------------------------------------------- random small cohorts
# 150 small cohorts with heavy ties, delayed entry and two strata, and 150 Table 1 comparisons:
# the cases a hand-picked data set never reaches (medians on flat segments, empty risk sets,
# singular cox.zph). Inputs random_cases.csv / random_table1.csv; outputs random_*_r.csv. NA where
# R gives no answer: no landmark row, a model with an infinite (|coef| > 5) or NA coefficient, or
# R's cox.zph stopping with "computationally singular".
set.seed(2026)
rc <- do.call(rbind, lapply(1:150, function(k) {
  n <- sample(3:30, 1); t <- sample(1:9, n, TRUE); s <- pmin(sample(0:4, n, TRUE), t - 1)
  s[runif(n) < 0.4] <- 0
  data.frame(k = k, s = s, t = t, e = sample(0:1, n, TRUE), g = sample(c("a", "b"), n, TRUE),
             st = sample(c("u", "v"), n, TRUE), x = round(rnorm(n), 1))
}))
write.csv(rc, file.path(out, "random_cases.csv"), row.names = FALSE)
q <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NA)
rs <- do.call(rbind, lapply(unique(rc$k), function(k) {
  s <- rc[rc$k == k, ]
  f <- survfit(Surv(s, t, e) ~ 1, s); tab <- summary(f)$table; sm <- summary(f, times = 3)
  one <- function(v) if (length(v)) v else NA
  b <- c(NA, NA); se <- NA; cc <- NA; zz <- NA
  if (sum(s$e) >= 2 && length(unique(s$g)) == 2) {
    fit <- q(coxph(Surv(s, t, e) ~ g + x + strata(st), s))
    if (is.list(fit) && !any(is.na(coef(fit))) && max(abs(coef(fit))) < 5) {
      b <- unname(coef(fit)); se <- sqrt(vcov(fit)[1, 1]); cc <- unname(fit$concordance["concordance"])
      zz <- q(cox.zph(fit)$table["GLOBAL", "chisq"])
    }
  }
  lr <- if (length(unique(s$g)) == 2 && sum(s$e) > 0) q(survdiff(Surv(t, e) ~ g + strata(st), s)$chisq) else NA
  data.frame(k = k, median = unname(tab["median"]), lcl = unname(tab["0.95LCL"]), ucl = unname(tab["0.95UCL"]),
             surv3 = one(sm$surv), lower3 = one(sm$lower), upper3 = one(sm$upper), n_risk3 = one(sm$n.risk),
             logrank = lr, coef_gb = b[1], coef_x = b[2], se_gb = se, concordance = cc, zph_global = zz)
}))
write.csv(rs, file.path(out, "random_survival_r.csv"), row.names = FALSE)
rt <- do.call(rbind, lapply(1:150, function(k) {
  n <- sample(4:120, 1)
  data.frame(k = k, v = round(rnorm(n, 10, 2), sample(0:2, 1)), g = sample(c("a", "b"), n, TRUE),
             c = sample(c("x", "y", "z")[1:sample(2:3, 1)], n, TRUE))
}))
write.csv(rt, file.path(out, "random_table1.csv"), row.names = FALSE)
rp <- do.call(rbind, lapply(unique(rt$k), function(k) {
  s <- rt[rt$k == k, ]
  if (length(unique(s$g)) < 2) return(NULL)
  tab <- table(s$c, s$g)
  data.frame(k = k, p_wilcoxon = q(wilcox.test(v ~ g, s)$p.value),
             p_categorical = if (all(dim(tab) == 2)) fisher.test(tab)$p.value else q(chisq.test(tab)$p.value))
}))
write.csv(rp, file.path(out, "random_table1_r.csv"), row.names = FALSE)
