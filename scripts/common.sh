# Shared by the scripts in this folder; source it, do not run it.
#
# soma_jar: builds target/soma-cli.jar when it is missing or older than the sources (tests are not
# compiled: a broken test must not stop the CLI or a benchmark) and prints its path.
#
# soma_bench_build DIR: copies target/soma-cli.jar to DIR/soma-cli.jar, compiles src/bench/java
# (DenseBench) into DIR/classes against it and the Maven profile `bench`'s peers (CLBlast, EJML,
# netlib; their classpath resolved once and cached in target/bench-dense/, redone when pom.xml
# changes), and prints that peers classpath.
#
# soma_java: the java command, with the JDK's libjsig.so preloaded. POCL links libLLVM, which
# installs its own SIGSEGV/SIGBUS/SIGILL handlers when the first program is built, replacing the
# JVM's (java -Xcheck:jni reports "SIGSEGV handler modified"). The JVM relies on SIGSEGV internally
# (implicit null checks, safepoint polls), so the process can later die with a bare "Segmentation
# fault" and no hs_err file. Preloading libjsig.so chains the handlers instead. SOMA_NO_JSIG=1 turns
# this off; SOMA_JAVA_OPTS adds JVM options.

soma_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

soma_jar() {
  local jar="$soma_root/target/soma-cli.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$soma_root/pom.xml" "$soma_root/src/main" "$soma_root/opencl" -newer "$jar" -print -quit)" ]; then
    echo "soma: building $jar ..." >&2
    (cd "$soma_root" && mvn -q -B package -Dmaven.test.skip=true) >&2
  fi
  printf '%s\n' "$jar"
}

soma_preload_jsig() {
  [ "${SOMA_NO_JSIG:-0}" = 1 ] && return 0
  local java_bin java_home jsig
  java_bin="$(command -v "${JAVA_HOME:+$JAVA_HOME/bin/}java")"
  java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java_bin")")")}"
  for jsig in "$java_home/lib/libjsig.so" "$java_home/lib/server/libjsig.so"; do
    if [ -f "$jsig" ]; then
      case ":${LD_PRELOAD:-}:" in
        *":$jsig:"*) ;;
        *) export LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}" ;;
      esac
      return 0
    fi
  done
}

soma_bench_build() {
  local dir="$1" jar cache cpfile sources
  jar="$(soma_jar)" || return 1
  cache="$soma_root/target/bench-dense"
  cpfile="$cache/classpath.txt"
  mkdir -p "$cache" "$dir/classes" || return 1
  if [ ! -s "$cpfile" ] || [ "$soma_root/pom.xml" -nt "$cpfile" ]; then
    echo "soma: resolving the bench profile's classpath ..." >&2
    (cd "$soma_root" && mvn -q -B -Pbench dependency:build-classpath -DincludeScope=runtime \
        -DexcludeArtifactIds=jocl,picocli -Dmdep.outputFile="$cpfile.tmp") >&2 || return 1
    mv "$cpfile.tmp" "$cpfile" || return 1
  fi
  cp "$jar" "$dir/soma-cli.jar" || return 1
  mapfile -t sources < <(find "$soma_root/src/bench/java" -name '*.java')
  "${JAVA_HOME:+$JAVA_HOME/bin/}javac" -nowarn -encoding UTF-8 --release 17 -d "$dir/classes" \
      -cp "$dir/soma-cli.jar:$(cat "$cpfile")" "${sources[@]}" >&2 || return 1
  cat "$cpfile"
}
