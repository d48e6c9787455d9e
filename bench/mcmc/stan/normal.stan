// normal mu/sigma: the PyMC3 example's model (uniform priors), 100 obs.
data {
  int<lower=0> N;
  vector[N] y;
}
parameters {
  real<lower=0, upper=100> mu;
  real<lower=0, upper=10> sigma;
}
model {
  y ~ normal(mu, sigma);
}
