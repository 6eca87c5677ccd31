/**
 * Random structured WAT programs for the equivalence property test: nested
 * blocks, ifs, counted loops, forward br / br_if / br_table, returns, calls
 * (direct and indirect), memory and bulk ops. Every loop is bounded by its own
 * counter local, so every program terminates.
 */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly #rnd: () => number;
  #labels: string[] = [];
  #nextLabel = 0;
  #loopDepth = 0;
  #budget = 60;

  constructor(seed: number) {
    this.#rnd = mulberry32(seed);
  }

  int(n: number): number {
    return Math.floor(this.#rnd() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  expr(depth = 0): string {
    const leaf = depth > 2 || this.int(3) === 0;
    if (leaf) {
      return this.pick([
        () => `(i32.const ${this.int(200) - 50})`,
        () => `(local.get $${this.pick(['a', 'b', 'x', 'y'])})`,
        () => `(i32.load (i32.and (local.get $x) (i32.const 1020)))`,
      ])();
    }
    const a = this.expr(depth + 1);
    const b = this.expr(depth + 1);
    return this.pick([
      () => `(i32.add ${a} ${b})`, () => `(i32.sub ${a} ${b})`, () => `(i32.mul ${a} ${b})`,
      () => `(i32.xor ${a} ${b})`, () => `(i32.and ${a} ${b})`, () => `(i32.rotl ${a} ${b})`,
      () => `(i32.lt_u ${a} ${b})`, () => `(i32.eqz ${a})`, () => `(i32.extend8_s ${a})`,
      () => `(select ${a} ${b} (local.get $y))`, () => `(call $h ${a})`,
      () => `(call_indirect (type $t) ${a} (i32.and ${b} (i32.const 1)))`,
      () => `(if (result i32) ${a} (then ${b}) (else (i32.const ${this.int(9)})))`,
      () => `(block (result i32) (br_if 0 (i32.const ${this.int(5)}) ${a}) (drop) ${b})`,
    ])();
  }

  stmts(n: number): string {
    let s = '';
    for (let i = 0; i < n && this.#budget > 0; i++) s += this.stmt();
    return s;
  }

  stmt(): string {
    this.#budget--;
    const choices: (() => string)[] = [
      () => `(local.set $x ${this.expr()})`,
      () => `(local.set $y ${this.expr()})`,
      () => `(i32.store (i32.and (local.get $y) (i32.const 1020)) ${this.expr()})`,
      () => `(if ${this.expr()} (then ${this.stmts(2)}) (else ${this.stmts(2)}))`,
      () => `(if ${this.expr()} (then ${this.stmts(2)}))`,
      () => this.block(),
      () => this.loop(),
      () => `(memory.fill (i32.const 64) (local.get $x) (i32.and (local.get $y) (i32.const 63)))`,
      () => `(memory.copy (i32.const 256) (i32.const 0) (i32.and (local.get $x) (i32.const 127)))`,
      () => `(nop) (drop ${this.expr()})`,
    ];
    if (this.#labels.length > 0) {
      const l = this.pick(this.#labels);
      choices.push(
        () => `(br_if ${l} ${this.expr()})`,
        () => `(if ${this.expr()} (then (br ${l})))`,
        () => `(br_if ${l} ${this.expr()}) (local.set $x (i32.add (local.get $x) (i32.const 3)))`,
        () => `(if ${this.expr()} (then (local.set $x (i32.add (local.get $y) (i32.const 5))) (br ${l})))`,
      );
      if (this.int(2) === 0) choices.push(() => `(br_table ${this.#labels.slice(-3).join(' ')} ${this.expr()})`);
    }
    choices.push(() => `(if ${this.expr()} (then (return ${this.expr()})))`);
    return this.pick(choices)();
  }

  block(): string {
    const l = `$b${this.#nextLabel++}`;
    this.#labels.push(l);
    const body = this.stmts(1 + this.int(4));
    this.#labels.pop();
    return `(block ${l} ${body})`;
  }

  loop(): string {
    if (this.#loopDepth >= 3) return this.block();
    const i = `$i${this.#loopDepth}`;
    const l = `$l${this.#nextLabel++}`;
    const exit = `$e${this.#nextLabel++}`;
    this.#loopDepth++;
    this.#labels.push(exit);
    const body = this.stmts(1 + this.int(3));
    this.#labels.pop();
    this.#loopDepth--;
    const n = 1 + this.int(6);
    // Two shapes: LLVM's bottom-tested loop and binaryen's if + br loop.
    return this.int(2) === 0
      ? `(local.set ${i} (i32.const ${n})) (block ${exit} (loop ${l} ${body}
          (br_if ${l} (local.tee ${i} (i32.sub (local.get ${i}) (i32.const 1))))))`
      : `(local.set ${i} (i32.const ${n})) (block ${exit} (loop ${l}
          (if (local.get ${i}) (then ${body} (local.set ${i} (i32.sub (local.get ${i}) (i32.const 1))) (br ${l})))))`;
  }

  module(): string {
    const body = this.stmts(8);
    return `(module
      (type $t (func (param i32) (result i32)))
      (memory 1)
      (table 2 funcref) (elem (i32.const 0) $h $h2)
      (func $h (type $t) (if (result i32) (i32.lt_s (local.get 0) (i32.const 10))
        (then (i32.add (local.get 0) (i32.const 7))) (else (i32.shr_u (local.get 0) (i32.const 1)))))
      (func $h2 (type $t) (i32.mul (local.get 0) (i32.const 3)))
      (func (export "run") (param $a i32) (param $b i32) (result i32)
        (local $x i32) (local $y i32) (local $i0 i32) (local $i1 i32) (local $i2 i32)
        ${body}
        (i32.add (local.get $x) (i32.mul (local.get $y) (i32.const 31)))))`;
  }
}

export function randomProgram(seed: number): string {
  return new Gen(seed).module();
}
