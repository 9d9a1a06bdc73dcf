// HeraldTestSupport module.
