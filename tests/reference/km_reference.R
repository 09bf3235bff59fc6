# Reference values for tests/test_analysis_km.py and tests/test_analysis_proportions.py.
#
# Run from the repository root:
#     Rscript tests/reference/km_reference.R
# writes tests/reference/km_reference.json (committed; the tests never need R).
#
# For each data set:
#   fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
#   - the full table (every distinct time, censored ones included):
#     time, n.risk, n.event, n.censor, surv, std.err of S, lower, upper.
#     R's fit$std.err is the SE of log S (Greenwood sum^0.5); the SE of S is
#     surv * fit$std.err (what summary.survfit prints). NaN/Inf/NA -> null.
#   - quantile(fit, probs = c(.25, .5, .75), conf.int = TRUE)       ("r")
#   - the same with the study rule applied ("study", docs/derivations.md#median-and-quartiles-the-midpoint-rule): NE where the curve
#     (or band) never goes strictly below 1 - p, i.e. stays at 1 - p up to the
#     last observation; R instead returns the midpoint of the flat's start and
#     the last time there (findq's "lastpt" rule). This is the only difference.
#   - reverse-KM median follow-up: quantile(survfit(Surv(time, 1 - status) ~ 1,
#     conf.type = "log-log"), 0.5)
# and binom.test(n, N)$conf.int for the Clopper-Pearson checks, and
# survival:::findq on a few synthetic step curves.
#
# R: Therneau T (2023). A Package for Survival Analysis in R. R package
# version 3.5-3 (Debian r-cran-survival). No packages beyond survival/stats.

suppressPackageStartupMessages(library(survival))

tol <- sqrt(.Machine$double.eps) # quantile.survfit's default tolerance
probs <- c(0.25, 0.5, 0.75)

# ---------------------------------------------------------------- data sets
pfs34 <- data.frame(
  # hand-made PFS-like set: 34 subjects, 18 events, days from first dose
  time = c(35, 57, 85, 113, 141, 169, 226, 281, 337, 393, 449, 505, 533, 617,
           673, 701, 785, 869,
           1, 29, 197, 337, 420, 560, 645, 729, 757, 813, 841, 841, 897, 925,
           953, 981),
  status = c(rep(1, 18), rep(0, 16))
)
ttr27 <- data.frame(
  # TTR-like: no censoring, heavy ties, a tied step jumping across 0.5
  time = c(rep(29, 12), rep(57, 6), rep(85, 4), 113, 113, 141, 169, 253),
  status = 1
)
lung <- survival::lung
aml <- survival::aml

sets <- list(
  ties = data.frame(
    time = c(2, 3, 3, 3, 5, 6, 6, 8, 9, 9, 12, 14),
    status = c(1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0)),
  censor_at_median = data.frame(
    time = c(1, 2, 3, 4, 4, 5, 6, 7, 8, 9),
    status = c(1, 1, 0, 1, 0, 1, 1, 0, 1, 0)),
  flat_half = data.frame( # 5 events before any censoring: S = 5/10 on [5, 8)
    time = 1:10,
    status = c(1, 1, 1, 1, 1, 0, 0, 1, 0, 1)),
  flat_half_to_end = data.frame( # S = 0.5 up to a censored last observation
    time = 1:10,
    status = c(1, 1, 1, 1, 1, 0, 0, 0, 0, 0)),
  flat_quartile = data.frame( # S = 0.75 exactly on [2, 4)
    time = 1:8,
    status = c(1, 1, 0, 1, 0, 1, 1, 0)),
  censored_tail = data.frame(
    time = c(1, 2, 3, 5, 8, 10, 12, 15, 20, 25),
    status = c(1, 1, 0, 1, 0, 0, 0, 0, 0, 0)),
  to_zero = data.frame( # the last event takes S to 0
    time = c(2, 4, 4, 5, 7, 9, 11),
    status = c(1, 0, 1, 1, 0, 1, 1)),
  to_zero_small = data.frame(
    time = c(1, 2, 2, 3, 4, 5),
    status = c(1, 1, 0, 1, 1, 1)),
  no_censoring = data.frame(time = 1:10, status = 1),
  step_across = data.frame(time = c(1, 2, 2, 2, 2, 3, 4, 5), status = 1),
  all_censored = data.frame(time = c(3, 5, 7), status = 0),
  pfs34 = pfs34,
  ttr27 = ttr27,
  # Edmonson JH et al. (1979); survival::aml, both arms pooled
  aml = data.frame(time = aml$time, status = aml$status),
  # Loprinzi CL et al. (1994); survival::lung, status 2 = death
  lung = data.frame(time = lung$time, status = lung$status - 1)
)

# ---------------------------------------------------------------- helpers
# docs/derivations.md#median-and-quartiles-the-midpoint-rule: NE when the curve never goes strictly below 1 - p.
study_rule <- function(q, curve, p) {
  v <- curve[!is.na(curve)]
  if (length(v) == 0 || min(v) > 1 - p - tol) NA_real_ else q
}

quantiles <- function(fit) {
  q <- quantile(fit, probs = probs, conf.int = TRUE)
  study <- list(estimate = numeric(3), lower = numeric(3), upper = numeric(3))
  for (i in seq_along(probs)) {
    study$estimate[i] <- study_rule(q$quantile[i], fit$surv, probs[i])
    study$lower[i] <- study_rule(q$lower[i], fit$lower, probs[i])
    study$upper[i] <- study_rule(q$upper[i], fit$upper, probs[i])
  }
  list(probs = probs,
       r = list(estimate = unname(q$quantile), lower = unname(q$lower),
                upper = unname(q$upper)),
       study = study)
}

reference <- function(d) {
  fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = "log-log")
  rev <- survfit(Surv(time, 1 - status) ~ 1, data = d, conf.type = "log-log")
  qrev <- quantile(rev, probs = 0.5, conf.int = TRUE)
  list(
    time = d$time, status = d$status,
    table = list(time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
                 n_censor = fit$n.censor, surv = fit$surv,
                 std_err = fit$surv * fit$std.err,
                 lower = fit$lower, upper = fit$upper),
    quantiles = quantiles(fit),
    followup = list(
      r = list(estimate = unname(qrev$quantile), lower = unname(qrev$lower),
               upper = unname(qrev$upper)),
      study = list(estimate = study_rule(unname(qrev$quantile), rev$surv, 0.5),
                   lower = study_rule(unname(qrev$lower), rev$lower, 0.5),
                   upper = study_rule(unname(qrev$upper), rev$upper, 0.5)))
  )
}

binomial <- function(n, N) {
  ci <- binom.test(n, N)$conf.int
  list(n = n, N = N, lower = ci[1], upper = ci[2])
}

# ---------------------------------------------------------------- minimal JSON
# jsonlite is not installed. Numbers with 17 significant digits (exact round
# trip), NA/NaN/Inf -> null, length-1 vectors -> scalars, longer -> arrays
# (every table here has more than one row).
json_num <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
to_json <- function(x) {
  if (is.list(x)) {
    body <- vapply(names(x), function(k) sprintf("\"%s\": %s", k, to_json(x[[k]])), "")
    return(paste0("{", paste(body, collapse = ", "), "}"))
  }
  vals <- if (is.character(x)) sprintf("\"%s\"", x) else json_num(as.numeric(x))
  if (length(x) == 1) vals else paste0("[", paste(vals, collapse = ", "), "]")
}

binomials <- lapply(
  list(c(16, 32), c(27, 32), c(9, 32), c(8, 32), c(18, 32), c(7, 32),
       c(5, 32), c(0, 32), c(32, 32), c(1, 1), c(0, 1), c(8, 11), c(19, 21),
       c(3, 10), c(18, 34)),
  function(v) binomial(v[1], v[2]))
names(binomials) <- vapply(binomials, function(b) sprintf("%d/%d", b$n, b$N), "")

# survival:::findq (the step search inside quantile.survfit) on synthetic
# curves: a non-monotone band (R's approx() searches the values in sorted
# order) and NA band values (dropped). Never seen in real log-log bands.
findq_case <- function(x, y, p) {
  list(x = x, y = y, p = p, r = survival:::findq(x, y, p, tol))
}
findq_cases <- list(
  non_monotone = findq_case(c(0, 1, 2, 3, 4), c(0, .3, .55, .52, .6), c(.25, .5)),
  na_and_flat = findq_case(c(0, 1, 2, 3, 4, 5), c(0, NA, .3, .5, .45, .7), c(.25, .5)),
  flat_then_na = findq_case(c(0, 1, 2, 3, 4, 5), c(0, .2, .5, .5, .7, NA), c(.25, .5, .75)))

out <- list(
  meta = list(generator = "tests/reference/km_reference.R", R = R.version.string,
              survival = as.character(packageVersion("survival")),
              quantile_tolerance = tol),
  km = lapply(sets, reference),
  findq = findq_cases,
  binomial = binomials)
body <- paste0(to_json(out), "\n")

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
target <- file.path(dirname(script), "km_reference.json")
writeLines(body, target, sep = "")
cat("wrote", target, "\n")
