// logistic regression, N = 2000, K = 10.
// (rstan 2.21 speaks the Stan language of 2.21: arrays as "int y[N]")
data {
  int<lower=0> N;
  int<lower=0> K;
  matrix[N, K] X;
  int<lower=0, upper=1> y[N];
}
parameters {
  real alpha;
  vector[K] beta;
}
model {
  alpha ~ normal(0, 5);
  beta ~ normal(0, 5);
  y ~ bernoulli_logit(alpha + X * beta);
}
