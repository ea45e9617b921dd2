//! The protocol between real clients and a real server, run in the simulated deployment
//! (`blindpost::simulation`): one module per topic.

mod batch;
mod concurrency;
mod conversation;
mod crash;
mod discovery;
mod flow;
mod host_auth;
mod introductions;
mod malformed;
mod privacy;
mod registration;
mod replies;
mod reputation;
mod schedule;
mod tokens;
