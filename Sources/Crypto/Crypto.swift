// Crypto module.
