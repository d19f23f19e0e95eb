{
  "targets": [
    {
      "target_name": "faiss_lab",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/index_wrap.cc",
        "src/quantizers.cc",
        "src/workers.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node lib/faiss-config.js include)"
      ],
      "libraries": ["<!@(node lib/faiss-config.js libraries)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "FAISS_LAB_BUILT_AGAINST=\"<!(node lib/faiss-config.js version)\"",
        "FAISS_LAB_BUILD=\"<!(node lib/faiss-config.js build)\""
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions", "-frtti", "<!@(node lib/faiss-config.js cflags)"],
      "ldflags": ["-fopenmp"]
    }
  ]
}
