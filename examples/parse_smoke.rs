fn main() {
    for src in std::env::args().skip(1) {
        match jexpr::syntax::parse(&src) {
            Ok(e) => println!(
                "OK  {}\n    {}",
                jexpr::syntax::printer::print(&e),
                jexpr::syntax::printer::sexpr(&e)
            ),
            Err(ds) => print!("{}", jexpr::diagnostic::render("expr", &src, &ds)),
        }
    }
}
