import { mount } from 'svelte';
import App from './App.svelte';
import { loadCatalog } from './lib/catalog';
import './styles.css';

// The catalog first: the screens' format and task lists are the engine's rows.
void loadCatalog().then(() => mount(App, { target: document.getElementById('app')! }));
