//! Reed–Solomon error correction over GF(256) for QR codeword blocks.
//!
//! rqrr corrects blocks internally but exposes only its interpreted output,
//! which drops ECI designators; to keep them we correct the raw codewords
//! that rqrr does expose. QR uses the field polynomial x⁸+x⁴+x³+x²+1 (0x11D)
//! and generator roots α⁰..α^(n−1).

/// exp table doubled so `EXP[a + b]` needs no reduction for logs < 255.
const EXP: [u8; 512] = build_exp();
const LOG: [u8; 256] = build_log();

const fn build_exp() -> [u8; 512] {
    let mut t = [0u8; 512];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 512 {
        t[i] = x as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11D;
        }
        i += 1;
    }
    t
}

const fn build_log() -> [u8; 256] {
    let exp = build_exp();
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 255 {
        t[exp[i] as usize] = i as u8;
        i += 1;
    }
    t
}

fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        return 0;
    }
    EXP[LOG[a as usize] as usize + LOG[b as usize] as usize]
}

/// `a / b`; `b` is never zero where this is called (callers check).
fn div(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        return 0;
    }
    EXP[LOG[a as usize] as usize + 255 - LOG[b as usize] as usize]
}

/// α^e for any exponent.
fn pow_alpha(e: usize) -> u8 {
    EXP[e % 255]
}

/// Evaluates a polynomial given lowest degree first.
fn eval_low_first(p: &[u8], x: u8) -> u8 {
    p.iter().rev().fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// The block could not be corrected: more errors than its parity allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uncorrectable;

/// Corrects `block` (data codewords then `nsym` parity codewords, highest
/// degree first, as QR stores them) in place. Returns the number of
/// corrected codewords.
pub(crate) fn correct(block: &mut [u8], nsym: usize) -> Result<usize, Uncorrectable> {
    let n = block.len();
    if nsym == 0 || nsym >= n || n > 255 {
        return Err(Uncorrectable);
    }
    let syndromes = |b: &[u8]| -> Vec<u8> {
        (0..nsym)
            .map(|i| {
                let x = pow_alpha(i);
                b.iter().fold(0u8, |acc, &c| mul(acc, x) ^ c)
            })
            .collect()
    };
    let s = syndromes(block);
    if s.iter().all(|&v| v == 0) {
        return Ok(0);
    }

    // Berlekamp–Massey: error locator Λ, lowest degree first.
    let mut c = vec![0u8; nsym + 1];
    let mut bb = vec![0u8; nsym + 1];
    c[0] = 1;
    bb[0] = 1;
    let mut l = 0usize;
    let mut m = 1usize;
    let mut last_d = 1u8;
    for k in 0..nsym {
        let mut d = s[k];
        for i in 1..=l.min(k) {
            d ^= mul(c[i], s[k - i]);
        }
        if d == 0 {
            m += 1;
            continue;
        }
        let coef = div(d, last_d);
        let prev = c.clone();
        for i in 0..=nsym {
            if i + m <= nsym {
                c[i + m] ^= mul(coef, bb[i]);
            }
        }
        if 2 * l <= k {
            l = k + 1 - l;
            bb = prev;
            last_d = d;
            m = 1;
        } else {
            m += 1;
        }
    }
    if l == 0 || 2 * l > nsym {
        return Err(Uncorrectable);
    }
    let lambda = &c[..=l];

    // Ω = S·Λ mod x^nsym.
    let mut omega = vec![0u8; nsym];
    for (i, &si) in s.iter().enumerate() {
        for (j, &lj) in lambda.iter().enumerate() {
            if i + j < nsym {
                omega[i + j] ^= mul(si, lj);
            }
        }
    }
    // Λ' in characteristic 2 keeps only the odd terms.
    let deriv: Vec<u8> = lambda
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, &v)| if i % 2 == 1 { v } else { 0 })
        .collect();

    // Chien search over every position, then Forney for the magnitude:
    // with first root α⁰, e = X·Ω(X⁻¹)/Λ'(X⁻¹).
    let mut fixed = 0usize;
    for p in 0..n {
        let x = pow_alpha(p);
        let x_inv = pow_alpha(255 - p % 255);
        if eval_low_first(lambda, x_inv) != 0 {
            continue;
        }
        let den = eval_low_first(&deriv, x_inv);
        if den == 0 {
            return Err(Uncorrectable);
        }
        let e = mul(x, div(eval_low_first(&omega, x_inv), den));
        let idx = n - 1 - p;
        if let Some(slot) = block.get_mut(idx) {
            *slot ^= e;
        }
        fixed += 1;
    }
    if fixed != l {
        return Err(Uncorrectable);
    }
    if syndromes(block).iter().any(|&v| v != 0) {
        return Err(Uncorrectable);
    }
    Ok(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Systematic encoder for the tests: parity = data·x^nsym mod g(x).
    fn encode(data: &[u8], nsym: usize) -> Vec<u8> {
        let mut g = vec![1u8];
        for i in 0..nsym {
            let mut next = vec![0u8; g.len() + 1];
            for (j, &c) in g.iter().enumerate() {
                next[j] ^= c;
                next[j + 1] ^= mul(c, pow_alpha(i));
            }
            g = next;
        }
        let mut rem = data.to_vec();
        rem.resize(data.len() + nsym, 0);
        for i in 0..data.len() {
            let coef = rem[i];
            if coef != 0 {
                for (j, &gj) in g.iter().enumerate() {
                    rem[i + j] ^= mul(gj, coef);
                }
            }
        }
        let mut out = data.to_vec();
        out.extend_from_slice(&rem[data.len()..]);
        out
    }

    #[test]
    fn corrects_up_to_half_the_parity_and_no_more() {
        let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let nsym = 16;
        let clean = encode(&data, nsym);
        let mut ok = clean.clone();
        assert_eq!(correct(&mut ok, nsym), Ok(0));
        for errors in 1..=8usize {
            let mut damaged = clean.clone();
            for e in 0..errors {
                damaged[e * 7] ^= 0xA5 ^ e as u8;
            }
            assert_eq!(correct(&mut damaged, nsym), Ok(errors), "{errors} errors");
            assert_eq!(damaged, clean);
        }
        let mut too_many = clean.clone();
        for e in 0..12 {
            too_many[e * 3] ^= 0x11;
        }
        let res = correct(&mut too_many, nsym);
        assert!(res.is_err() || too_many != clean);
    }
}
