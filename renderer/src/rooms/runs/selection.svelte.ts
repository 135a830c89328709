// Which runs are ticked and whether the comparison is open: module state, so a tab switch keeps them.
class RunsSelection {
  ids: number[] = $state([]);
  comparing = $state(false);
  kind = $state('');
  status = $state('');
  text = $state('');

  toggle(id: number): void {
    this.ids = this.ids.includes(id) ? this.ids.filter((x) => x !== id) : [...this.ids, id];
    if (this.ids.length < 2) this.comparing = false;
  }
}

export const selection = new RunsSelection();
