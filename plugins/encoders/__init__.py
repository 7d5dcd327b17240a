"""Graph encoders (``archgen.encoders``): a padded graph batch to one embedding per node."""
