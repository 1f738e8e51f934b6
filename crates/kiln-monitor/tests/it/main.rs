//! kiln-monitor's integration tests: statistics against scipy's golden values, profiles,
//! live monitoring (memory bound, feedback, states), surfaces.

mod monitor;
mod stats;
