"""Cat-versus-dog classifiers under stratified, duplicate-aware k-fold cross-validation."""
