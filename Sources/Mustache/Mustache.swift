// Mustache module.
