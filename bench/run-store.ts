import { benchStore } from './store.js';
console.log(JSON.stringify(await benchStore(), null, 2));
