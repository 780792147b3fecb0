# Shared by the scripts in this folder; source it, do not run it.
#
# soma_jar: builds target/soma-cli.jar when it is missing or older than the sources (tests are not
# compiled: a broken test must not stop the CLI or a benchmark) and prints its path.
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
