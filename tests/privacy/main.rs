//! Privacy against traffic analysis (SPEC.md 15.4): a population of phones runs for days and
//! the adversary tries to attribute every anonymous action from the server's log.

mod lookups;
mod population;
mod sealing;
mod strategies;
