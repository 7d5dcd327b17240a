"""archgen.plugins: first-party models (encoders, quantizers, priors, generators), registered as entry points like any third-party plugin."""
