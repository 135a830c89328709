// Pins the exact strings each task hands the scorer (lm-evaluation-harness 0.4 templates) for a few
// items, the split sizes, and the metric arithmetic lm-eval uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASKS, parseTasks, UnknownTaskError } from '../../core/eval/tasks/index';
import { hellaswagPreprocess, pyCapitalize } from '../../core/eval/tasks/hellaswag';
import { argmax, meanStderr, pyLen, scoreDoc } from '../../core/eval/metrics';

const req = (context: string, ...conts: string[]) => conts.map((c) => ({ context, continuation: ` ${c}` }));

test('every task loads its full split with the published item count', () => {
  const sizes = { piqa: 1838, winogrande: 1267, hellaswag: 10042, arc_easy: 2376, arc_challenge: 1172 };
  for (const [name, n] of Object.entries(sizes)) {
    const docs = TASKS[name as keyof typeof sizes].load();
    assert.equal(docs.length, n, name);
    assert.equal(TASKS[name as keyof typeof sizes].size, n);
    for (const d of docs) {
      assert.ok(d.gold >= 0 && d.gold < d.choices.length, `${name} ${d.index}`);
      assert.equal(d.requests.length, d.choices.length);
    }
  }
});

test('piqa uses "Question: {goal}\\nAnswer:" and keeps the solutions verbatim, trailing spaces included', () => {
  const [d0, d1] = TASKS.piqa.load(2);
  assert.equal(d0.gold, 0);
  assert.deepEqual(d0.requests[0], {
    context: "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
    continuation: ' Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.',
  });
  assert.deepEqual(d1.requests, req('Question: dresser\nAnswer:', 'replace drawer with bobby pin ', 'finish, woodgrain with  bobby pin '));
  assert.deepEqual(d1.choices, ['replace drawer with bobby pin ', 'finish, woodgrain with  bobby pin ']);
  assert.equal(d1.gold, 1);
});

test('winogrande scores the shared rest of the sentence after each option-substituted partial context', () => {
  const docs = TASKS.winogrande.load(590);
  assert.deepEqual(docs[0].requests, [
    { context: 'Sarah was a much better surgeon than Maria so Sarah', continuation: ' always got the easier cases.' },
    { context: 'Sarah was a much better surgeon than Maria so Maria', continuation: ' always got the easier cases.' },
  ]);
  assert.deepEqual(
    docs[0].choices,
    docs[0].requests.map((r) => r.context),
  );
  assert.equal(docs[0].gold, 1);
  assert.equal(docs[1].gold, 0);
  // A blank glued to "'s": the target is stripped, then the delimiter is added (" 's father…").
  assert.deepEqual(docs[589].requests[1], {
    context: 'Research came easy to Monica as compared to Erin because Erin',
    continuation: " 's father was a landscaper.",
  });
});

test('hellaswag rebuilds lm-eval queries: ctx_b capitalized, leftover brackets removed', () => {
  const docs = TASKS.hellaswag.load(4042);
  assert.deepEqual(docs[0].requests, req('Roof shingle removal: A man is sitting on a roof. He', 'is using wrap to wrap a pair of skis.', 'is ripping level tiles off.', "is holding a rubik's cube.", 'starts pulling up roofing on a roof.'));
  assert.equal(docs[0].gold, 3);
  assert.equal(docs[1].requests[0].context, 'Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. The lady');
  // WikiHow context: left as is (capitalize() is a no-op there), bracketed URL removed like lm-eval's regex.
  assert.equal(
    docs[3505].requests[0].context,
    'Family Life: How to entertain a toddler. Ask the toddler what he or she would like to do instead of doing what you would like to do.. Visit a site like to find loads of creative activities for toddlers and preschoolers.. Choose small, simple games like candy land or chutes and ladders.',
  );
  assert.equal(docs[4041].choices[0], 'If you can afford a local attorney who knows the types of things your judge favors and disfavors, it would be best to hire one. See .');
});

test('hellaswag preprocess and capitalize follow Python semantics', () => {
  // strip() runs first, so a marker at the very start leaves a leading space (as in Python).
  assert.equal(hellaswagPreprocess('  [header] How to x [title] Do y. [step] Then z.  '), ' How to x. Do y. Then z.');
  assert.equal(hellaswagPreprocess('a   b'), 'a  b'); // one non-overlapping pass, as str.replace
  assert.equal(pyCapitalize('the man in the UK'), 'The man in the uk');
});

test('arc uses "Question: {stem}\\nAnswer:" and finds the gold by label, numeric labels and 3 choices included', () => {
  const easy = TASKS.arc_easy.load(94);
  assert.deepEqual(
    easy[0].requests,
    req(
      'Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:',
      'Sunlight is the source of energy for nearly all ecosystems.',
      'Most ecosystems are found on land instead of in water.',
      'Carbon dioxide is more available than other gases.',
      'The producers in all ecosystems are plants.',
    ),
  );
  assert.equal(easy[0].gold, 0);
  assert.deepEqual(easy[14].choices, ['air', 'elements', 'water', 'soil']); // labels "1".."4", answerKey "2"
  assert.equal(easy[14].gold, 1);
  assert.deepEqual(easy[93].requests, req('Question: When a rock is placed in a graduated cylinder containing water, the height of the water will\nAnswer:', 'decrease', 'increase', 'remain the same'));
  const challenge = TASKS.arc_challenge.load(1);
  assert.equal(challenge[0].requests[2].context, 'Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:');
  assert.equal(challenge[0].requests[2].continuation, ' Planetary days will become shorter.');
  assert.equal(challenge[0].gold, 2);
});

test('limit takes the first items; task lists parse and reject unknown names', () => {
  assert.equal(TASKS.hellaswag.load(7).length, 7);
  assert.deepEqual(
    parseTasks('arc_easy, piqa,arc_easy').map((t) => t.name),
    ['arc_easy', 'piqa'],
  );
  assert.equal(parseTasks().length, 5);
  assert.throws(() => parseTasks('mmlu'), UnknownTaskError);
  assert.throws(() => TASKS.piqa.load(0), /positive integer/);
});

test('acc_norm divides by the choice length in code points; ties go to the first; stderr is sample std / sqrt(n)', () => {
  // acc: −6 > −9 picks 0; acc_norm: −6/3 = −2 < −9/6 = −1.5 picks 1.
  const s = scoreDoc([-6, -9], ['abc', 'abcdef'], 1);
  assert.deepEqual(s, { pred: 0, predNorm: 1, acc: 0, accNorm: 1 });
  assert.equal(pyLen('é😀'), 2);
  assert.equal(argmax([1, 3, 3]), 1);
  assert.ok(Math.abs(meanStderr([1, 0, 1, 1]) - Math.sqrt(0.25 / 4)) < 1e-15);
});
