# bench/mcmc/ess.R — the MCMC benchmark's table: ESS_bulk of every
# system's draws by R's posterior package (one estimator for all), divided
# by the times run.sh and run_r.R recorded.
#
#   usage: Rscript ess.R OUTDIR
#
# OUTDIR/timings.tsv has one line per run: system, model, setup_s,
# sample_s, divergences, extra; OUTDIR/<system>_<model>.csv holds that
# run's kept draws (a chain__ column; CmdStan's sampler columns, named
# *__, are ignored). For each run the quantity reported is the minimum
# over all parameters (every element of a vector) of ess_bulk (Vehtari et
# al. 2021, rank-normalised, split chains), divided by (a) the sampling
# time (warm-up + draws) and (b) sampling plus setup (compile, or for ppl
# start-up, parsing and binding). As a check that all systems sampled the
# same posterior, "max |z|" is the largest difference of a parameter's
# posterior mean from Stan's, in Monte Carlo standard errors of the
# difference (mcse_mean of both, combined); a correct sampler gives values
# of about 3 or less over ~20 parameters.

suppressPackageStartupMessages(library(posterior))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript ess.R OUTDIR")
outdir <- args[1]

tm <- read.delim(file.path(outdir, "timings.tsv"), header = FALSE,
                 col.names = c("system", "model", "setup_s", "sample_s",
                               "divergences", "extra"),
                 colClasses = c("character", "character", "numeric",
                                "numeric", "integer", "character"))

labels <- c(ppl = "ppl NUTS",
            "ppl-gradient" = "ppl NUTS, adapt_mass=\"gradient\"",
            "ppl-1blas" = "ppl NUTS, 1 BLAS thread",
            "ppl-gradient-1blas" = "ppl NUTS gradient, 1 BLAS thread",
            stan = "Stan (rstan)", "stan-glm" = "Stan, GLM function",
            jags = "JAGS (rjags)")
models <- c("normal", "eight_schools", "linreg", "logistic",
            "varying_intercepts")
model_titles <- c(normal = "normal mu/sigma (N=100)",
                  eight_schools = "eight schools, non-centred",
                  linreg = "linear regression (N=1000, K=10)",
                  logistic = "logistic regression (N=2000, K=10)",
                  varying_intercepts = "varying intercepts (J=50, N=1000)")

read_draws <- function(system, model) {
  d <- read.csv(file.path(outdir, paste0(system, "_", model, ".csv")),
                comment.char = "#", check.names = FALSE)
  keep <- !grepl("__$", names(d))
  chains <- sort(unique(d$chain__))
  cols <- names(d)[keep]
  per_chain <- lapply(chains, function(c) as.matrix(d[d$chain__ == c, cols]))
  n <- min(vapply(per_chain, nrow, 0L))
  arr <- array(NA_real_, c(n, length(chains), length(cols)),
               dimnames = list(NULL, NULL, cols))
  for (i in seq_along(chains)) arr[, i, ] <- per_chain[[i]][seq_len(n), ]
  leapfrog <- if ("n_leapfrog__" %in% names(d)) sum(d$n_leapfrog__) else NA
  list(draws = as_draws_array(arr), leapfrog = leapfrog)
}

fmt <- function(x, d = 1) {
  ifelse(is.na(x), "n/a", formatC(x, format = "f", digits = d, big.mark = ","))
}
fmt_s <- function(x) ifelse(is.na(x), "n/a",
                            ifelse(x < 10, sprintf("%.3f", x), sprintf("%.1f", x)))

rows <- list()
for (i in seq_len(nrow(tm))) {
  r <- tm[i, ]
  d <- read_draws(r$system, r$model)
  s <- summarise_draws(d$draws, mean, ess_bulk, mcse_mean)
  k <- which.min(s$ess_bulk)
  rows[[i]] <- data.frame(system = r$system, model = r$model,
                          setup_s = r$setup_s, sample_s = r$sample_s,
                          divergences = r$divergences,
                          min_ess = as.numeric(s$ess_bulk[k]),
                          min_par = s$variable[k],
                          leapfrog = d$leapfrog, stringsAsFactors = FALSE)
  rows[[i]]$stats <- list(s)
}
res <- do.call(rbind, rows)
res$per_s <- res$min_ess / res$sample_s
res$per_s_all <- res$min_ess / (res$sample_s + res$setup_s)

zmax <- function(s, ref) {
  m <- merge(s, ref, by = "variable")
  as.numeric(max(abs(m$mean.x - m$mean.y) /
                 sqrt(m$mcse_mean.x^2 + m$mcse_mean.y^2)))
}

get <- function(system, model, col) {
  v <- res[res$system == system & res$model == model, col]
  if (length(v)) v[[1]] else NA_real_
}

cat("### Per model\n\n")
cat("Times in seconds: sampling = warm-up + draws, 4 chains two at a time;",
    "setup = compile (Stan), compile of the model graph (JAGS), start-up +",
    "parsing + data + binding (ppl). ESS = min over parameters of",
    "ess_bulk. ESS/1k grad = min ESS per 1000 gradient evaluations",
    "(leapfrog steps) of the kept draws: how well the sampler is tuned,",
    "apart from how fast a gradient is.\n\n")
cat("| model | system | sampling (s) | setup (s) | min ESS_bulk (param) |",
    "ESS/s sampling | ESS/s incl. setup | ESS/1k grad | divergences |",
    "max \\|z\\| vs Stan |\n")
cat("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
for (m in models) {
  ref <- res[res$system == "stan" & res$model == m, "stats"]
  for (sy in names(labels)) {
    j <- which(res$system == sy & res$model == m)
    if (!length(j)) next
    r <- res[j[1], ]
    z <- if (length(ref)) zmax(r$stats[[1]], ref[[1]]) else NA
    cat(sprintf("| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %d | %s |\n",
                model_titles[[m]], labels[[sy]], fmt_s(r$sample_s),
                fmt_s(r$setup_s), fmt(r$min_ess, 0), r$min_par,
                fmt(r$per_s), fmt(r$per_s_all, 2),
                fmt(1000 * r$min_ess / r$leapfrog, 0), r$divergences,
                if (sy == "stan") "-" else fmt(z, 1)))
  }
}

ratio <- function(a, b, col, m) get(a, m, col) / get(b, m, col)
fr <- function(x) ifelse(is.na(x), "n/a", sprintf("%.2f", x))

for (p in c("ppl", "ppl-1blas")) {
  if (!any(res$system == p)) next
  g <- if (p == "ppl") "ppl-gradient" else "ppl-gradient-1blas"
  cat(sprintf("\n### Ratios: %s against the targets\n\n", labels[[p]]))
  cat("ESS/s of ppl divided by the other system's (targets: >= 1.5 against",
      "Stan, >= 3 against JAGS); \"Stan GLM\" is Stan with normal_id_glm or",
      "bernoulli_logit_glm (the regressions only); the last column is",
      "adapt_mass=\"gradient\" over the default (\"variance\"), ESS/s of",
      "sampling.\n\n")
  cat("| model | vs Stan, sampling | vs Stan, incl. setup |",
      "vs Stan GLM, sampling | vs JAGS, sampling | vs JAGS, incl. setup |",
      "gradient / variance |\n")
  cat("|---|--:|--:|--:|--:|--:|--:|\n")
  for (m in models) {
    cat(sprintf("| %s | %s | %s | %s | %s | %s | %s |\n", model_titles[[m]],
                fr(ratio(p, "stan", "per_s", m)),
                fr(ratio(p, "stan", "per_s_all", m)),
                fr(ratio(p, "stan-glm", "per_s", m)),
                fr(ratio(p, "jags", "per_s", m)),
                fr(ratio(p, "jags", "per_s_all", m)),
                fr(ratio(g, p, "per_s", m))))
  }
}
