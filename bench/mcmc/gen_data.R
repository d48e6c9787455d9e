# bench/mcmc/gen_data.R — the data of the MCMC benchmark, made once per run
# from fixed seeds so that ppl, Stan and JAGS see the same numbers.
#
#   usage: Rscript gen_data.R OUTDIR
#
# For each model it writes OUTDIR/<model>.json (Stan's JSON data layout,
# which ppl's read_json reads: numbers, arrays, matrices as arrays of rows;
# group indices are 1-based as Stan and JAGS want them, ppl subtracts 1).
# Doubles are printed with 17 significant digits, so they read back as the
# same doubles; run_r.R reads these files too (with jsonlite), never the
# generator's own R objects.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript gen_data.R OUTDIR")
outdir <- args[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

num <- function(x) {
  if (is.integer(x)) as.character(x) else sprintf("%.17g", x)
}

json_value <- function(x) {
  if (is.matrix(x)) {
    rows <- apply(x, 1, function(r) paste0("[", paste(num(r), collapse = ", "), "]"))
    return(paste0("[\n    ", paste(rows, collapse = ",\n    "), "\n  ]"))
  }
  if (length(x) == 1 && is.null(attr(x, "as_array"))) return(num(x))
  paste0("[", paste(num(x), collapse = ", "), "]")
}

write_data <- function(name, data) {
  fields <- vapply(names(data), function(k)
    sprintf("  \"%s\": %s", k, json_value(data[[k]])), "")
  writeLines(c("{", paste(fields, collapse = ",\n"), "}"),
             file.path(outdir, paste0(name, ".json")))
}

as_array <- function(x) { attr(x, "as_array") <- TRUE; x }

# normal mu/sigma: the PyMC3 example's data, 100 draws from Normal(10, 2)
set.seed(20261201)
write_data("normal", list(N = 100L, y = as_array(rnorm(100, 10, 2))))

# eight schools: Rubin (1981), the data every NUTS paper uses
write_data("eight_schools", list(
  J = 8L,
  y = as_array(c(28, 8, -3, 7, -1, 1, 18, 12)),
  sigma = as_array(c(15, 10, 16, 11, 9, 11, 10, 18))))

# linear regression: N = 1000, K = 10 standard normal predictors
set.seed(20261202)
N <- 1000L; K <- 10L
X <- matrix(rnorm(N * K), N, K)
beta <- rnorm(K, 0, 1)
y <- as.vector(1.5 + X %*% beta + rnorm(N, 0, 2))
write_data("linreg", list(N = N, K = K, X = X, y = as_array(y)))

# logistic regression: N = 2000, K = 10
set.seed(20261203)
N <- 2000L; K <- 10L
X <- matrix(rnorm(N * K), N, K)
beta <- rnorm(K, 0, 0.5)
p <- plogis(as.vector(-0.5 + X %*% beta))
y <- as.integer(runif(N) < p)
write_data("logistic", list(N = N, K = K, X = X, y = as_array(y)))

# varying intercepts: J = 50 groups, N = 1000 observations, one predictor
set.seed(20261204)
J <- 50L; N <- 1000L
g <- c(1:J, sample.int(J, N - J, replace = TRUE))  # every group observed
a <- rnorm(J, 1, 0.7)
x <- rnorm(N)
y <- a[g] + 0.5 * x + rnorm(N, 0, 1)
write_data("varying_intercepts", list(N = N, J = J, g = as_array(g),
                                      x = as_array(x), y = as_array(y)))
