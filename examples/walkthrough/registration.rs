//! Act 2: registration.

use crate::host::{describe, fail, failures, hex_prefix, no_failures, pump, Context, Res, User};
use crate::walk::Walk;
use crate::{header, name_of, number, phone_of, DETAIL};
use blindpost::client::{Client, Event, FailureReason};
use blindpost::wire::{ErrorCode, RequestType};

impl Walk {
    /// Act 2: everyone registers; the spammer is one of them.
    pub fn act2_registration(&mut self) -> Res<()> {
        header(2, "Registration");
        say!(self, "Each phone asks for a code under a secret session it draws; the server derives the code from its");
        say!(self, "secret, the time, the number and the session, and its host sends it by SMS. The client registers:");
        say!(
            self,
            "phone, session, code, identity key, group key and 5 blinded token requests. It gets a"
        );
        say!(self, "certificate binding the number");
        say!(
            self,
            "to its identity key, and 5 cold-call tokens the server signed without seeing them."
        );
        let population = self.honest + 1;
        let mut tokens = 0;
        for i in 0..population {
            let spammer = i == self.honest;
            let name = if spammer {
                "mallory".to_string()
            } else {
                name_of(i)
            };
            let phone = if spammer {
                number(9_990_000)?
            } else {
                phone_of(i)?
            };
            let client = self.fresh_client();
            self.users.push(User {
                name,
                phone,
                client,
                book: Vec::new(),
                found: Vec::new(),
                accounts: Vec::new(),
                identity_keys: Vec::new(),
                group_keys: Vec::new(),
                introductions: Default::default(),
            });
            let got = self.register(i, i == 0)?;
            tokens += got;
        }
        if self.quiet {
            out!("result: {population} accounts registered, {tokens} cold-call tokens issued");
        } else {
            out!(
                "  ... {} more registered the same way",
                population.saturating_sub(DETAIL + 1)
            );
            out!(
                "result: {population} accounts registered, {tokens} cold-call tokens issued (the spammer, mallory, is one of them)"
            );
        }
        self.end_act("2 registration");
        Ok(())
    }

    /// A new client (a new identity key, not registered yet) pinning the server's keys, with
    /// its host's end-to-end state (SPEC.md 17.7).
    pub fn fresh_client(&mut self) -> Client {
        let keys = self.world.server.public_keys();
        let client = self
            .timings
            .client_op(&mut self.world, "Client::new", |rng, _| {
                Client::new(rng, keys, Self::settings())
            });
        self.world.add_host(client.account());
        client
    }

    /// Registers user `i` (its client exists); with `mistype`, the first code is wrong.
    /// Returns the number of tokens received.
    pub fn register(&mut self, i: usize, mistype: bool) -> Res<usize> {
        let name = self.users[i].name.clone();
        self.try_register(i, mistype)?
            .map_err(|reason| fail(format!("{name}: register failed: {}", describe(&reason))))
    }

    /// [`Walk::register`], except that the server's refusal of the (right) code's registration
    /// is returned, not an error: the number of tokens, or why the server refused.
    pub fn try_register(&mut self, i: usize, mistype: bool) -> Res<Result<usize, FailureReason>> {
        let detail = !self.quiet && (i < DETAIL || i == self.honest);
        // The certificate carries the host key that first contacts are sealed to.
        let host_key = self.world.host_key(&self.users[i].account());
        let user = &mut self.users[i];
        let phone = user.phone.clone();
        user.client
            .request_code(&mut self.world.rng, self.world.now, phone.clone());
        let ev = pump(&mut self.world, &mut self.timings, user)?;
        no_failures(&user.name, &ev)?;
        let code = self
            .world
            .sms
            .iter()
            .rev()
            .find(|(p, _)| *p == phone)
            .map(|(_, c)| c.clone())
            .ctx(|| format!("{}: no SMS arrived", user.name))?;
        if mistype {
            let mut wrong: Vec<u8> = code.bytes().collect();
            if let Some(last) = wrong.last_mut() {
                *last = b'0' + (*last - b'0' + 1) % 10;
            }
            let wrong = String::from_utf8(wrong).ctx(|| "code".into())?;
            self.timings
                .client_op(&mut self.world, "register", |rng, now| {
                    user.client
                        .register(rng, now, phone.clone(), &wrong, Some(host_key.clone()))
                })
                .ctx(|| format!("{}: register", user.name))?;
            let ev = pump(&mut self.world, &mut self.timings, user)?;
            match failures(&ev).as_slice() {
                [(RequestType::Register, FailureReason::Server(ErrorCode::WrongCode))] => {
                    if detail {
                        out!(
                            "  {:<8} {}  types {wrong} by mistake: refused, wrong_code (the server counts every check of the code session)",
                            user.name,
                            phone.as_str()
                        );
                    }
                }
                other => {
                    return Err(fail(format!(
                        "{}: a wrong code should be refused with wrong_code, got {other:?}",
                        user.name
                    )))
                }
            }
        }
        self.timings
            .client_op(&mut self.world, "register", |rng, now| {
                user.client
                    .register(rng, now, phone.clone(), &code, Some(host_key.clone()))
            })
            .ctx(|| format!("{}: register", user.name))?;
        let ev = pump(&mut self.world, &mut self.timings, user)?;
        if let Some((RequestType::Register, reason)) = failures(&ev).first() {
            return Ok(Err(reason.clone()));
        }
        no_failures(&user.name, &ev)?;
        let (certificate, tokens) = ev
            .iter()
            .find_map(|e| match e {
                Event::Registered {
                    certificate,
                    tokens,
                } => Some((certificate.clone(), *tokens)),
                _ => None,
            })
            .ctx(|| format!("{}: no Registered event", user.name))?;
        user.accounts.push(user.client.account());
        user.identity_keys
            .push(certificate.identity_key().to_bytes());
        user.group_keys
            .push(user.client.group_key().to_bytes().to_vec());
        if detail {
            out!(
                "  {:<8} {}  SMS code {code} -> certificate #{} (account {}..), {tokens} tokens",
                user.name,
                phone.as_str(),
                certificate.serial(),
                hex_prefix(user.client.account().as_bytes(), 6),
            );
        }
        Ok(Ok(tokens))
    }
}
