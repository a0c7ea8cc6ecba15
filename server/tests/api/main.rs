//! API tests: the real server on a random port, a fresh temp data dir and a real SQLite file,
//! talked to over HTTP.

mod access;
mod agreements;
mod answers;
mod counts;
mod feed;
mod fence;
mod helpers;
mod matrix;
mod pages;
mod products;
mod query;
mod rejections;
mod replicas;
mod requests;
mod s3_store;
mod search;
mod streams;
