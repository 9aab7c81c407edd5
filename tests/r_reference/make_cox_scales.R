# Cox models with covariates on large scales (issue 12, defect 1), computed with R `survival`.
#
# Run from the repository root:   Rscript tests/r_reference/make_cox_scales.R
# Writes tests/r_reference/cox_scales.json, which is committed; tests/outcomes/test_cox_scales_vs_r.py
# reads it and never needs R. Same data as make_reference.R (tests/data/*.csv).
#
# flchain as shipped measures age in years, kappa/lambda (free light chains) in mg/dL and
# creatinine in mg/dL. Clinical files carry FLC in mg/L (x 10), creatinine in umol/L (x 88.42)
# and sometimes age in days (x 365.25); the same models are refitted in those units, so the
# coefficients must scale by exactly 1/factor while every test statistic stays the same.
# The last cases are a monotone likelihood, for which R warns "coefficient may be infinite".
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out <- "tests/r_reference"
mgus2 <- read.csv("tests/data/mgus2.csv")
mayo <- read.csv("tests/data/mayo_myeloma.csv")
flchain <- read.csv("tests/data/flchain.csv")

flchain$kappa_mgl <- flchain$kappa * 10
flchain$lambda_mgl <- flchain$lambda * 10
flchain$creat_umol <- flchain$creatinine * 88.42
flchain$age_days <- flchain$age * 365.25
mgus2$creat_umol <- mgus2$creat * 88.42
mgus2$hgb_gl <- mgus2$hgb * 10
mgus2$age_days <- mgus2$age * 365.25
mayo$year_days <- (mayo$year + 1900) * 365.25           # calendar date of diagnosis in days: ~7e5

warned <- function(expr) {
  w <- character(0)
  value <- withCallingHandlers(expr, warning = function(c) {
    w <<- c(w, conditionMessage(c)); invokeRestart("muffleWarning")
  })
  list(value = value, warnings = w)
}
one <- function(fit_w) {
  fit <- fit_w$value
  s <- summary(fit)
  list(n = fit$n, events = fit$nevent, dropped = length(fit$na.action), iter = fit$iter,
       warnings = fit_w$warnings, terms = rownames(s$coefficients),
       coef = unname(s$coefficients[, "coef"]), se = unname(s$coefficients[, "se(coef)"]),
       p = unname(s$coefficients[, "Pr(>|z|)"]), loglik = fit$loglik,
       concordance = unname(fit$concordance["concordance"]),
       wald = unname(fit$wald.test), lr = unname(s$logtest["test"]), score = unname(s$sctest["test"]))
}
fl5 <- Surv(futime, death) ~ age + sex + kappa + lambda + creatinine
cases <- list(
  # the issue's command: isamm cox flchain.csv --covariates age,sex,kappa,lambda,creatinine
  flchain_5 = one(warned(coxph(fl5, flchain))),
  flchain_5_clinical_units = one(warned(coxph(Surv(futime, death) ~ age_days + sex + kappa_mgl + lambda_mgl +
                                                creat_umol, flchain))),
  flchain_5_breslow = one(warned(coxph(Surv(futime, death) ~ age + sex + kappa_mgl + lambda_mgl + creat_umol,
                                       flchain, ties = "breslow"))),
  mgus2_clinical_strata = one(warned(coxph(Surv(futime, death) ~ age_days + hgb_gl + creat_umol + mspike +
                                             strata(sex), mgus2))),
  mayo_entry_days = one(warned(coxph(Surv(entry, futime, death) ~ year_days, mayo)))
)
# monotone likelihood: an indicator for 30 censored patients followed longest (no events among them,
# and always among the last at risk): its coefficient runs to -Inf while the loglik converges
mg <- mgus2
mg$late <- as.numeric(rank(-ifelse(mg$death == 0, mg$futime, -Inf), ties.method = "first") <= 30)
cases$mgus2_monotone <- one(warned(coxph(Surv(futime, death) ~ age + late, mg)))
write_json(cases, file.path(out, "cox_scales.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null")
cat("survival", as.character(packageVersion("survival")), R.version.string, "\n")
