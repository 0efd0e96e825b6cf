//! Tests of the throwaway-Postgres harness in `postgres.rs` itself.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::postgres::cluster;

#[test]
fn fresh_databases_are_distinct_empty_and_usable() {
    let pg = cluster();
    eprintln!(
        "cluster on port {} started in {:?}",
        pg.port(),
        pg.started_in()
    );

    let began = Instant::now();
    let first = pg.fresh_database();
    eprintln!("fresh database in {:?}", began.elapsed());
    let second = pg.fresh_database();
    assert_ne!(first, second);
    for url in [&first, &second] {
        assert!(
            url.starts_with(&format!("postgres://postgres@127.0.0.1:{}/", pg.port())),
            "{url}"
        );
        assert_eq!(pg.psql(url, "select 1").unwrap(), "1");
        let tables = pg
            .psql(
                url,
                "select count(*) from information_schema.tables where table_schema = 'public'",
            )
            .unwrap();
        assert_eq!(tables, "0", "a fresh database has no tables");
    }

    // Isolation: a table made in one database does not exist in the other.
    pg.psql(
        &first,
        "create table only_here (id int); insert into only_here values (7)",
    )
    .unwrap();
    assert_eq!(pg.psql(&first, "select id from only_here").unwrap(), "7");
    let err = pg.psql(&second, "select id from only_here").unwrap_err();
    assert!(err.contains("does not exist"), "{err}");

    let names: Vec<String> = [&first, &second]
        .iter()
        .map(|u| pg.psql(u, "select current_database()").unwrap())
        .collect();
    assert_ne!(names[0], names[1]);
}

#[test]
fn cluster_listens_only_on_loopback_on_its_random_port() {
    let pg = cluster();
    let port = pg.port();
    assert_ne!(port, 0);
    assert_eq!(
        pg.admin_url(),
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    );

    let settings = pg
        .psql(
            &pg.admin_url(),
            "show listen_addresses; show port; select inet_server_addr()",
        )
        .unwrap();
    assert_eq!(
        settings.lines().collect::<Vec<_>>(),
        ["127.0.0.1", port.to_string().as_str(), "127.0.0.1"]
    );

    let timeout = Duration::from_secs(2);
    let at = |ip: Ipv4Addr| TcpStream::connect_timeout(&SocketAddr::from((ip, port)), timeout);
    assert!(
        at(Ipv4Addr::LOCALHOST).is_ok(),
        "127.0.0.1:{port} accepts connections"
    );
    // 127.0.0.2 is loopback too (all of 127/8 is), so a server bound to 0.0.0.0 would answer there.
    assert!(
        at(Ipv4Addr::new(127, 0, 0, 2)).is_err(),
        "the server must not listen beyond 127.0.0.1"
    );
    let ipv6 = TcpStream::connect_timeout(
        &SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        timeout,
    );
    assert!(ipv6.is_err(), "the server must not listen on [::1]");
}
