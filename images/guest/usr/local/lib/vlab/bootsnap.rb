# vlab: Ruby loads its compiled code (bootsnap's iseq cache) from
# /var/cache/vlab-ruby, compiled when the image was built, instead of
# compiling every file again: puppet's start under TCG is mostly that.
# Loaded by /usr/local/bin/puppet through RUBYOPT. Only the compile cache:
# bootsnap's load-path cache does not follow Debian's gems' paths.
require "msgpack"
require "bootsnap"
Bootsnap.setup(cache_dir: "/var/cache/vlab-ruby", development_mode: false, load_path_cache: false,
               compile_cache_iseq: true, compile_cache_yaml: false, compile_cache_json: false)
