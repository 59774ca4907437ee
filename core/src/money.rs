//! Money: integer minor units and ISO 4217 currencies.
