// varying intercepts (centred), J = 50 groups, N = 1000, one predictor.
// (rstan 2.21 speaks the Stan language of 2.21: arrays as "int g[N]")
data {
  int<lower=0> N;
  int<lower=1> J;
  int<lower=1, upper=J> g[N];
  vector[N] x;
  vector[N] y;
}
parameters {
  real mu_a;
  real<lower=0> sigma_a;
  vector[J] a;
  real b;
  real<lower=0> sigma_y;
}
model {
  mu_a ~ normal(0, 5);
  sigma_a ~ normal(0, 2.5);
  a ~ normal(mu_a, sigma_a);
  b ~ normal(0, 5);
  sigma_y ~ normal(0, 2.5);
  y ~ normal(a[g] + b * x, sigma_y);
}
