//! Text to [`Expr`]: a tokenizer (words, quotes, parentheses, `!`) and a recursive descent
//! over `or` < `and` (or juxtaposition) < `!`/`not`. Every error names the column and what was
//! expected there.

use super::{Cmp, Expr, Is, NumTest, Number, Pattern, Term, ValueTest};
use crate::domain::{Signature, TwimlMark};

/// A filter expression that does not parse: where (a character column, from 0) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column + 1, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(column: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        column,
        message: message.into(),
    })
}

/// The fields a `name:` may name, for the error that lists them.
const FIELDS: &str = "type call from to url method code ms lint sig is param";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Bang,
    /// A word: its text with quotes removed, and the character index within it where the
    /// first quoted part starts (`text.chars().count()` when nothing was quoted). Only the
    /// unquoted head can be a field name and operator.
    Word {
        text: String,
        quoted_from: usize,
    },
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Column of its first character.
    col: usize,
}

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token {
                    tok: Tok::Open,
                    col: i,
                });
                i += 1;
            }
            ')' => {
                out.push(Token {
                    tok: Tok::Close,
                    col: i,
                });
                i += 1;
            }
            '!' if chars.get(i + 1) != Some(&'=') => {
                out.push(Token {
                    tok: Tok::Bang,
                    col: i,
                });
                i += 1;
            }
            _ => {
                let col = i;
                let mut text = String::new();
                let mut n = 0;
                let mut quoted_from = None;
                while let Some(&c) = chars.get(i) {
                    if c.is_whitespace() || c == '(' || c == ')' {
                        break;
                    }
                    if c == '"' {
                        quoted_from.get_or_insert(n);
                        let open = i;
                        i += 1;
                        loop {
                            match chars.get(i) {
                                None => {
                                    return err(
                                        open,
                                        "this quote is not closed: expected a closing \"",
                                    );
                                }
                                Some('"') => break,
                                Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                                    text.extend(chars.get(i + 1));
                                    n += 1;
                                    i += 2;
                                }
                                Some(&c) => {
                                    text.push(c);
                                    n += 1;
                                    i += 1;
                                }
                            }
                        }
                        i += 1;
                        continue;
                    }
                    text.push(c);
                    n += 1;
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Word {
                        text,
                        quoted_from: quoted_from.unwrap_or(n),
                    },
                    col,
                });
            }
        }
    }
    Ok(out)
}

/// Parses a whole expression.
pub(super) fn parse(input: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(input)?;
    let end = input.chars().count();
    if tokens.is_empty() {
        return err(
            0,
            "empty filter: expected a term, such as type:gather or code>=500",
        );
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end,
    };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(expr),
        Some(Token {
            tok: Tok::Close,
            col,
        }) => err(*col, "unexpected `)`: no `(` is open"),
        Some(t) => err(t.col, "expected `and`, `or` or the end"),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Column just past the input, for "expected … at the end".
    end: usize,
}

fn keyword(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word { text, quoted_from } if *quoted_from == text.chars().count()
        && text.eq_ignore_ascii_case(word))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_keyword(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| keyword(&t.tok, word))
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.and()?];
        while self.at_keyword("or") {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.unary()?];
        loop {
            if self.at_keyword("and") {
                self.pos += 1;
            } else if self.peek().is_none_or(|t| t.tok == Tok::Close) || self.at_keyword("or") {
                break;
            }
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek().is_some_and(|t| t.tok == Tok::Bang) || self.at_keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.next() else {
            let after = match self.tokens.get(self.pos.wrapping_sub(2)) {
                Some(t) if keyword(&t.tok, "and") => "after `and`",
                Some(t) if keyword(&t.tok, "or") => "after `or`",
                Some(t) if keyword(&t.tok, "not") || t.tok == Tok::Bang => "after `!`",
                Some(t) if t.tok == Tok::Open => "after `(`",
                _ => "here",
            };
            return err(self.end, format!("expected a term {after}"));
        };
        match token.tok {
            Tok::Open => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token {
                        tok: Tok::Close, ..
                    }) => Ok(inner),
                    Some(t) => err(t.col, "expected `)`, `and` or `or`"),
                    None => err(
                        self.end,
                        format!("expected `)` to close the `(` at column {}", token.col + 1),
                    ),
                }
            }
            Tok::Close => err(token.col, "expected a term before `)`"),
            Tok::Bang => err(token.col, "expected a term"),
            Tok::Word { text, quoted_from } => {
                if (text.eq_ignore_ascii_case("and") || text.eq_ignore_ascii_case("or"))
                    && quoted_from == text.chars().count()
                {
                    return err(token.col, format!("expected a term before `{text}`"));
                }
                word(&text, quoted_from, token.col)
            }
        }
    }
}

/// An operator after a field name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Colon,
    Eq,
    Ne,
    Cmp(Cmp),
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Colon => ":",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Cmp(Cmp::Lt) => "<",
            Op::Cmp(Cmp::Le) => "<=",
            Op::Cmp(Cmp::Gt) => ">",
            Op::Cmp(Cmp::Ge) => ">=",
            Op::Cmp(Cmp::Eq) => "==",
        }
    }
}

/// The operator at the start of `s`, and its length in characters.
fn operator(s: &[char]) -> Option<(Op, usize)> {
    match s {
        ['!', '=', ..] => Some((Op::Ne, 2)),
        ['<', '=', ..] => Some((Op::Cmp(Cmp::Le), 2)),
        ['>', '=', ..] => Some((Op::Cmp(Cmp::Ge), 2)),
        ['=', '=', ..] => Some((Op::Eq, 2)),
        [':', ..] => Some((Op::Colon, 1)),
        ['=', ..] => Some((Op::Eq, 1)),
        ['<', ..] => Some((Op::Cmp(Cmp::Lt), 1)),
        ['>', ..] => Some((Op::Cmp(Cmp::Gt), 1)),
        _ => None,
    }
}

/// A word: a field term when its unquoted head is `name` + operator, else free text.
fn word(text: &str, quoted_from: usize, col: usize) -> Result<Expr, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let name_len = chars
        .iter()
        .take(quoted_from)
        .take_while(|c| c.is_ascii_alphabetic() || **c == '_')
        .count();
    let op = chars
        .get(name_len..quoted_from)
        .and_then(operator)
        .filter(|_| name_len > 0);
    let Some((op, op_len)) = op else {
        return Ok(Expr::Term(Term::Text(text.to_lowercase())));
    };
    let name: String = chars.iter().take(name_len).collect();
    let value: String = chars.iter().skip(name_len + op_len).collect();
    let value_col = col + name_len + op_len;
    let field = Field {
        name: &name,
        op,
        value: &value,
        col,
        value_col,
    };
    field.term()
}

/// A field term being read.
struct Field<'a> {
    name: &'a str,
    op: Op,
    value: &'a str,
    col: usize,
    value_col: usize,
}

impl Field<'_> {
    fn term(&self) -> Result<Expr, ParseError> {
        let lower = self.name.to_ascii_lowercase();
        if lower == "param" && self.op == Op::Colon {
            return self.param();
        }
        let term = self.plain_term(&lower)?;
        Ok(negate_if(self.op, term))
    }

    fn plain_term(&self, lower: &str) -> Result<Term, ParseError> {
        let known = matches!(
            lower,
            "type"
                | "call"
                | "from"
                | "to"
                | "url"
                | "method"
                | "code"
                | "ms"
                | "lint"
                | "sig"
                | "is"
        );
        if !known {
            if self.op == Op::Colon {
                return err(
                    self.col,
                    format!(
                        "unknown field `{}`: expected one of {FIELDS}, or \"quotes\" around text to search for",
                        self.name
                    ),
                );
            }
            // `Digits=2`, `DialCallStatus=busy`: a request parameter, as the timeline shows it.
            return param_test(self.name.to_owned(), self.op, self.value, self.value_col);
        }
        if self.value.is_empty() {
            return err(
                self.value_col,
                format!("expected a value after `{}{}`", self.name, self.op.as_str()),
            );
        }
        match lower {
            "code" => self.number().map(Term::Code),
            "ms" => self.number().map(Term::Ms),
            "from" | "to" => {
                let name = if lower == "from" { "From" } else { "To" };
                if self.op == Op::Colon {
                    return Ok(Term::Param {
                        name: name.into(),
                        test: ValueTest::Like(Pattern::new(self.value)),
                    });
                }
                param_test(name.into(), self.op, self.value, self.value_col)
            }
            _ => self.text_field(lower),
        }
    }

    /// `type`, `call`, `url`, `method`, `lint`, `sig`, `is`: `:` `=` `!=` only.
    fn text_field(&self, lower: &str) -> Result<Term, ParseError> {
        let exact = match self.op {
            Op::Colon => false,
            Op::Eq | Op::Ne => true,
            Op::Cmp(_) => {
                return err(
                    self.col + self.name.chars().count(),
                    format!(
                        "`{}` takes `:` `=` or `!=`, not `{}` (only code, ms and parameters compare as numbers)",
                        self.name,
                        self.op.as_str()
                    ),
                );
            }
        };
        let v = self.value;
        let term = match lower {
            "type" => Term::Type {
                text: v.to_ascii_lowercase(),
                exact,
            },
            "call" => Term::Call {
                pattern: Pattern::new(v),
                exact,
            },
            "url" => Term::Url {
                text: v.to_ascii_lowercase(),
                exact,
            },
            "method" => Term::Method(v.to_ascii_lowercase()),
            "lint" => Term::Lint(self.choice(&[
                ("error", TwimlMark::Errors),
                ("errors", TwimlMark::Errors),
                ("warning", TwimlMark::Warnings),
                ("warnings", TwimlMark::Warnings),
                ("clean", TwimlMark::Clean),
                ("failed", TwimlMark::Failed),
                ("none", TwimlMark::NoBody),
            ])?),
            "sig" => Term::Sig(self.choice(&[
                ("valid", Signature::Valid),
                ("invalid", Signature::Invalid),
                ("unsigned", Signature::Unsigned),
                ("unverifiable", Signature::Unverifiable),
                ("unchecked", Signature::Unchecked),
            ])?),
            _ => Term::Is(self.choice(&[("problem", Is::Problem), ("invalid", Is::Invalid)])?),
        };
        Ok(term)
    }

    /// One of a field's named values.
    fn choice<T: Copy>(&self, names: &[(&str, T)]) -> Result<T, ParseError> {
        if let Some((_, v)) = names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(self.value))
        {
            return Ok(*v);
        }
        let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        err(
            self.value_col,
            format!(
                "expected one of {} after `{}{}`, found `{}`",
                list.join(" "),
                self.name,
                self.op.as_str(),
                self.value
            ),
        )
    }

    /// `code` / `ms`: a whole number (`code:5xx` for a class).
    fn number(&self) -> Result<NumTest, ParseError> {
        let v = self.value;
        if self.name.eq_ignore_ascii_case("code")
            && matches!(self.op, Op::Colon | Op::Eq | Op::Ne)
            && let Some(d) = v
                .strip_suffix("xx")
                .or_else(|| v.strip_suffix("XX"))
                .and_then(|d| d.parse::<u16>().ok())
                .filter(|d| (1..=9).contains(d))
        {
            return Ok(NumTest::Class(d * 100));
        }
        let Ok(n) = v.parse::<u32>() else {
            let what = if self.name.eq_ignore_ascii_case("code") {
                "a number or 5xx"
            } else {
                "a whole number"
            };
            return err(
                self.value_col,
                format!("expected {what} after `{}{}`", self.name, self.op.as_str()),
            );
        };
        Ok(NumTest::Cmp(
            match self.op {
                Op::Colon | Op::Eq | Op::Ne => Cmp::Eq,
                Op::Cmp(c) => c,
            },
            n,
        ))
    }

    /// `param:Name`, `param:Name=value`, `param:Name>10`…
    fn param(&self) -> Result<Expr, ParseError> {
        let chars: Vec<char> = self.value.chars().collect();
        let name_len = chars
            .iter()
            .take_while(|c| !matches!(c, ':' | '=' | '!' | '<' | '>'))
            .count();
        if name_len == 0 {
            return err(self.value_col, "expected a parameter name after `param:`");
        }
        let name: String = chars.iter().take(name_len).collect();
        let rest = chars.get(name_len..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(Expr::Term(Term::Param {
                name,
                test: ValueTest::Present,
            }));
        }
        let Some((op, op_len)) = operator(rest) else {
            return err(
                self.value_col + name_len,
                format!("expected an operator (: = != < <= > >=) after `param:{name}`"),
            );
        };
        let value: String = rest.iter().skip(op_len).collect();
        let term = param_test(name, op, &value, self.value_col + name_len + op_len)?;
        Ok(negate_if(op, term))
    }
}

/// A parameter's test from its operator and value.
fn param_test(name: String, op: Op, value: &str, value_col: usize) -> Result<Term, ParseError> {
    let test = match op {
        Op::Colon => ValueTest::Contains(value.to_lowercase()),
        Op::Eq | Op::Ne => ValueTest::Equals(value.to_lowercase()),
        Op::Cmp(c) => {
            if value.parse::<f64>().ok().is_none_or(|n| !n.is_finite()) {
                return err(
                    value_col,
                    format!(
                        "expected a number after `{name}{}`, found `{value}`",
                        op.as_str()
                    ),
                );
            }
            ValueTest::Compare(c, Number(value.to_owned()))
        }
    };
    if value.is_empty() && op != Op::Colon {
        return err(
            value_col,
            format!("expected a value after `{name}{}`", op.as_str()),
        );
    }
    Ok(Term::Param { name, test })
}

/// `a!=b` is `!(a=b)`: an event without the field passes it.
fn negate_if(op: Op, term: Term) -> Expr {
    let term = Expr::Term(term);
    if op == Op::Ne {
        Expr::Not(Box::new(term))
    } else {
        term
    }
}
