from include.sources.ccxt_source import page_limit


def test_okx_pages_are_capped_at_its_real_history_page_size():
    assert page_limit("okx", 1000) == 100
    assert page_limit("okx", 50) == 50


def test_other_exchanges_keep_the_configured_page_size():
    assert page_limit("binance", 1000) == 1000
    assert page_limit("sim_alpha", 5000) == 5000
